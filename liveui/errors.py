"""Every exception liveui raises, in one tree.

    LiveuiError
     ├── ConfigurationError   a setting is missing or wrong (the message names it)
     ├── Forbidden            the actor may not touch this record (another user's notification)
     ├── NotFound             no such record (unknown or malformed id)
     ├── TokenError           a signed token was refused
     │    ├── TokenMissing    no token was given
     │    ├── TokenInvalid    forged, truncated, or signed with another secret or salt
     │    ├── TokenExpired    genuine but older than max_age
     │    └── TokenRevoked    genuine, but its login session (or every login of its user) ended
     └── LiveError            the live UI refused something from a page
          ├── SpecError       a component spec is malformed or names no known component
          └── EventRejected   a user action was refused (carries the HTTP status to answer with)
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "EventRejected",
    "Forbidden",
    "LiveError",
    "LiveuiError",
    "NotFound",
    "SpecError",
    "TokenError",
    "TokenExpired",
    "TokenInvalid",
    "TokenMissing",
    "TokenRevoked",
]


class LiveuiError(Exception):
    """Base class of every error raised by liveui."""


class ConfigurationError(LiveuiError):
    """liveui is misconfigured; the message names the setting to fix."""


class Forbidden(LiveuiError):
    """The actor does not own the record it tried to change."""


class NotFound(LiveuiError):
    """The record does not exist, or its id is malformed."""


class TokenError(LiveuiError):
    reason = "invalid_token"


class TokenMissing(TokenError):
    reason = "missing_token"


class TokenInvalid(TokenError):
    reason = "invalid_token"


class TokenExpired(TokenError):
    reason = "expired_token"


class TokenRevoked(TokenError):
    reason = "revoked_token"


class LiveError(LiveuiError):
    """Base class of the live UI's errors."""


class SpecError(LiveError):
    """A component spec (type + params) could not be turned into a component."""


class EventRejected(LiveError):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
