"""The live-session token: binds one page (session id) to the logged-in user.

It is made at page render, travels in the connection URL (EventSource cannot send headers) and
in the `X-LiveUI-Token` header of every action POST; a cookie-less custom header is what makes the
actions CSRF-proof, since another site can neither read the token nor make a browser attach it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from .. import tokens
from ..errors import TokenInvalid

__all__ = ["SALT", "LiveToken", "SessionTokens", "make_token", "read_token"]

SALT = "liveui.live"


@dataclass(frozen=True, slots=True)
class LiveToken:
    user_id: Any
    session_id: str


def make_token(secret: str, user_id: Any) -> tuple[str, str]:
    """A fresh session id and the signed token carrying it with `user_id`."""
    session_id = secrets.token_urlsafe(12)
    return session_id, tokens.sign(secret, {"u": user_id, "s": session_id}, salt=SALT)


def read_token(secret: str, token: str | None, *, max_age: float) -> LiveToken:
    """Raise TokenMissing / TokenInvalid / TokenExpired, or return who and which page."""
    data = tokens.verify(secret, token, max_age=max_age, salt=SALT)
    if not isinstance(data, dict) or "u" not in data or not isinstance(data.get("s"), str):
        raise TokenInvalid("token payload is not a live-session token")
    return LiveToken(data["u"], data["s"])


class SessionTokens:
    """Makes and reads the live-session tokens of one app (its secret and their lifetime)."""

    __slots__ = ("max_age", "secret_key")

    def __init__(self, secret_key: str, max_age: float) -> None:
        self.secret_key = secret_key
        self.max_age = max_age

    def make(self, user_id: Any) -> tuple[str, str]:
        return make_token(self.secret_key, user_id)

    def read(self, token: str | None) -> LiveToken:
        return read_token(self.secret_key, token, max_age=self.max_age)
