"""`AuthClaims`: what every token liveui signs is bound to — a user, one login session, and the
user's auth epoch at the time of that login."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import TokenInvalid

__all__ = ["AuthClaims"]


@dataclass(frozen=True, slots=True)
class AuthClaims:
    user_id: Any
    """The user, as the application names it (compared as `str(user_id)`)."""
    session: str
    """The login session (one browser login, or one token minted outside a browser)."""
    epoch: int
    """The user's auth epoch when the login began; `revoke_user` moves the epoch on."""

    @property
    def user_key(self) -> str:
        return str(self.user_id)

    def to_json(self) -> dict[str, Any]:
        """The compact form tokens and session cookies carry."""
        return {"u": self.user_id, "l": self.session, "e": self.epoch}

    @classmethod
    def from_json(cls, data: Any) -> AuthClaims:
        """Read `to_json()`'s form back; TokenInvalid if it is not that."""
        if not isinstance(data, dict):
            raise TokenInvalid("token payload is not a login")
        user_id, session, epoch = data.get("u"), data.get("l"), data.get("e")
        if (
            user_id is None
            or not isinstance(session, str)
            or not session
            or len(session) > 128
            or type(epoch) is not int
            or epoch < 0
        ):
            raise TokenInvalid("token payload is not a login")
        return cls(user_id, session, epoch)
