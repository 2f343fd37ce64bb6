"""`origin_allowed`: the whole origin (scheme, host, port) is compared; an Origin carrying
user-info, a path, a query or a fragment is not a browser's and is refused."""

from __future__ import annotations

import pytest

from liveui.origin import origin_allowed


@pytest.mark.parametrize(
    ("origin", "host", "scheme", "allowed"),
    [
        ("http://app.test", "app.test", "ws", True),
        ("http://app.test:8000", "app.test:8000", "ws", True),
        ("https://app.test", "app.test", "wss", True),
        ("https://app.test", "app.test", "ws", False),  # scheme differs (port too)
        ("http://app.test:443", "app.test:443", "wss", False),  # same port, other scheme
        ("http://app.test:8001", "app.test:8000", "ws", False),
        ("http://evil.test", "app.test", "ws", False),
        ("http://evil.test@app.test", "app.test", "ws", False),  # user-info
        ("http://app.test/page", "app.test", "ws", False),  # a path
        ("http://app.test?x=1", "app.test", "ws", False),
        ("http://app.test#f", "app.test", "ws", False),
        ("null", "app.test", "ws", False),
        ("http://app.test", "evil.test@app.test", "ws", False),
        (None, "app.test", "ws", True),  # not a browser: the token decides
        ("http://app.test", "app.test", None, True),  # no scheme known: host and port only
    ],
)
def test_same_site_policy_compares_the_full_origin(
    origin: str | None, host: str, scheme: str | None, allowed: bool
) -> None:
    assert origin_allowed(True, origin, host, scheme) is allowed


def test_an_allow_list_refuses_user_info_and_paths_too() -> None:
    policy = ["https://app.test", "//*.example.com"]
    assert origin_allowed(policy, "https://app.test", "x")
    assert origin_allowed(policy, "http://a.example.com:81", "x")
    assert not origin_allowed(policy, "http://app.test", "x")
    assert not origin_allowed(policy, "https://u:p@app.test", "x")
    assert not origin_allowed(policy, "https://app.test/p", "x")
    assert not origin_allowed(policy, "https://u@a.example.com", "x")
    assert origin_allowed(False, "https://u:p@evil.test/p", "x")
