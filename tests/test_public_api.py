"""The names `liveui` exports are a contract: adding or removing one is a deliberate change."""

from __future__ import annotations

import liveui

EXPECTED = {
    # channels
    "Channel", "ChannelSettings", "ChannelSocket", "ConnectInfo", "Endpoint", "Reply", "Socket",
    "Stop", "channel", "error", "ok", "reply", "stop",
    # pub/sub
    "Backend", "Hub", "MemoryBackend", "backend_from_url",
    # dispatch
    "Dispatch", "DispatchSettings", "UserChannel", "counter", "notification_model",
    # live UI and templates
    "LiveBadge", "LiveComponent", "LiveSession", "LiveSettings", "LiveUI", "NotificationDropdown",
    "install_templates",
    # tokens
    "TokenError", "TokenExpired", "TokenInvalid", "TokenMissing",
    "__version__",
}


def test_exported_names_are_pinned() -> None:
    assert set(liveui.__all__) == EXPECTED
    assert len(liveui.__all__) == len(set(liveui.__all__))


def test_every_exported_name_exists() -> None:
    for name in liveui.__all__:
        assert getattr(liveui, name) is not None, name
