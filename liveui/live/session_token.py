"""The live-session token: binds one page (session id) to a login of the user.

It is made at page render, travels in the connection URL (EventSource cannot send headers) and
in the `X-LiveUI-Token` header of every action POST; a cookie-less custom header is what makes the
actions CSRF-proof, since another site can neither read the token nor make a browser attach it.

It carries the login's `AuthClaims`, so it is refused (403) once that login session, or every
session of the user, was revoked, and open live sessions of that login are closed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from .. import tokens
from ..auth.claims import AuthClaims
from ..auth.revocations import Revocations
from ..errors import TokenInvalid

__all__ = ["SALT", "LiveToken", "SessionTokens", "make_token"]

SALT = "liveui.live"


@dataclass(frozen=True, slots=True)
class LiveToken:
    auth: AuthClaims
    session_id: str
    """The page's live session (one per render), not the login session."""

    @property
    def user_id(self) -> Any:
        return self.auth.user_id


def make_token(secret: str, user_id: Any, *, auth: AuthClaims | None = None) -> tuple[str, str]:
    """A fresh page session id and its signed token; outside an app (tests, benchmarks) the
    login is a fresh one at epoch 0 unless `auth` is given."""
    auth = auth or AuthClaims(user_id, secrets.token_urlsafe(16), 0)
    session_id = secrets.token_urlsafe(12)
    return session_id, tokens.sign(secret, {"s": session_id, **auth.to_json()}, salt=SALT)


class SessionTokens:
    """Makes and reads the live-session tokens of one app (its secret, their lifetime and the
    node's revocations)."""

    __slots__ = ("max_age", "revocations", "secret_key")

    def __init__(self, secret_key: str, max_age: float, revocations: Revocations) -> None:
        self.secret_key = secret_key
        self.max_age = max_age
        self.revocations = revocations

    def make(self, auth: AuthClaims) -> tuple[str, str]:
        """A fresh page session id and the signed token carrying it with the login's claims."""
        return make_token(self.secret_key, auth.user_id, auth=auth)

    def read(self, token: str | None) -> LiveToken:
        """Raise TokenMissing / TokenInvalid / TokenExpired / TokenRevoked, or say who and which
        page."""
        if token is not None and len(token) > 4096:
            raise TokenInvalid("token too long")
        data = tokens.verify(self.secret_key, token, max_age=self.max_age, salt=SALT)
        session_id = data.get("s") if isinstance(data, dict) else None
        if not isinstance(session_id, str) or not session_id or len(session_id) > 64:
            raise TokenInvalid("token payload is not a live-session token")
        return LiveToken(self.revocations.check(AuthClaims.from_json(data)), session_id)
