from __future__ import annotations

import time

import pytest

from liveui import TokenExpired, TokenInvalid, TokenMissing
from liveui.tokens import sign, verify


def test_round_trip() -> None:
    token = sign("s3cret", {"user_id": "7"})
    assert verify("s3cret", token, max_age=60) == {"user_id": "7"}


@pytest.mark.parametrize("token", [None, ""])
def test_missing(token: str | None) -> None:
    with pytest.raises(TokenMissing):
        verify("s3cret", token, max_age=60)


@pytest.mark.parametrize(
    "mangle", [lambda t: t + "x", lambda t: t[:-3], lambda t: "garbage", lambda t: t.upper()]
)
def test_invalid(mangle) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TokenInvalid):
        verify("s3cret", mangle(sign("s3cret", "42")), max_age=60)


def test_other_secret_or_salt_is_invalid() -> None:
    token = sign("s3cret", "42", salt="socket")
    with pytest.raises(TokenInvalid):
        verify("other", token, max_age=60, salt="socket")
    with pytest.raises(TokenInvalid):
        verify("s3cret", token, max_age=60, salt="live")


def test_expired() -> None:
    token = sign("s3cret", "42", issued_at=time.time() - 61)
    with pytest.raises(TokenExpired):
        verify("s3cret", token, max_age=60)
    assert verify("s3cret", sign("s3cret", "42", issued_at=time.time() - 59), max_age=60) == "42"


def test_not_a_string_is_invalid() -> None:
    with pytest.raises(TokenInvalid):
        verify("s3cret", 42, max_age=60)  # type: ignore[arg-type]
