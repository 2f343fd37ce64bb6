"""Signed, expiring tokens (itsdangerous) that tell missing (`TokenMissing`), forged
(`TokenInvalid`) and expired (`TokenExpired`) apart."""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from .errors import ConfigurationError, TokenError, TokenExpired, TokenInvalid, TokenMissing

__all__ = [
    "MIN_SECRET_LENGTH",
    "TokenError",
    "TokenExpired",
    "TokenInvalid",
    "TokenMissing",
    "check_secret",
    "sign",
    "verify",
    "weak_secret",
]

MIN_SECRET_LENGTH = 32
_KNOWN_DEFAULTS = frozenset(
    {"change-me", "changeme", "change_me", "secret", "secret-key", "secret_key", "dev",
     "development", "test", "password", "your-secret-key", "replace-me", "please-change-me"}
)


def weak_secret(secret: str) -> bool:
    """Whether `secret` is missing, a well-known default, or shorter than `MIN_SECRET_LENGTH`."""
    return (
        not secret
        or secret.strip().lower() in _KNOWN_DEFAULTS
        or len(secret) < MIN_SECRET_LENGTH
    )


def check_secret(secret: str, *, debug: bool = False) -> None:
    """Refuse (ConfigurationError) a missing, default or short signing secret, unless `debug`:
    anyone who knows or guesses it can sign tokens for any user."""
    if debug:
        return
    if weak_secret(secret):
        raise ConfigurationError(
            f"the secret key is a default or shorter than {MIN_SECRET_LENGTH} characters; make "
            "one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'` "
            "(or pass debug=True for local development)"
        )


def _serializer(
    secret: str, salt: str, issued_at: float | None = None
) -> URLSafeTimedSerializer:
    if not secret:
        raise ValueError("liveui: a secret key is required to sign tokens")
    if issued_at is None:
        return URLSafeTimedSerializer(secret, salt=salt)
    when = int(issued_at)

    class Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return when

    return URLSafeTimedSerializer(secret, salt=salt, signer=Signer)


def sign(secret: str, data: Any, *, salt: str = "liveui", issued_at: float | None = None) -> str:
    """Sign JSON-serializable `data`; the signing time is embedded for `max_age` checks.

    `issued_at` (a Unix time) dates the token otherwise, e.g. in the past to test that an
    expired token is refused.
    """
    return _serializer(secret, salt, issued_at).dumps(data)


def verify(secret: str, token: str | None, *, max_age: float, salt: str = "liveui") -> Any:
    """Return the signed data or raise TokenMissing / TokenInvalid / TokenExpired."""
    if not token:
        raise TokenMissing("no token given")
    if not isinstance(token, str):
        raise TokenInvalid("token is not a string")
    try:
        return _serializer(secret, salt).loads(token, max_age=int(max_age))
    except SignatureExpired as exc:
        raise TokenExpired(f"token expired ({exc})") from None
    except BadSignature:
        raise TokenInvalid("token signature does not match") from None
