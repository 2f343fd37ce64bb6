"""Limits and timings of the channel server, with the defaults of Phoenix where it has one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ChannelSettings"]


@dataclass(frozen=True, slots=True)
class ChannelSettings:
    max_frame_size: int = 1024 * 1024
    """Bytes; a larger client frame closes the connection with 1009."""
    idle_timeout: float = 60.0
    """Seconds without any client frame before the server closes (the client heartbeats at 30 s)."""
    max_channels: int = 100
    """Channels one connection may join; the next join is refused."""
    mailbox_size: int = 100
    """Messages queued for one channel; a push beyond it is refused with `overloaded`."""
    outbound_queue_size: int = 1000
    """Frames queued for one connection; beyond it the connection is closed with 1013."""
    rate_limit: float = 200.0
    """Client frames per second allowed on one connection, sustained."""
    rate_burst: int = 400
    """Frames allowed in a burst above the sustained rate."""
    resync_concurrency: int = 4
    """Channels of one endpoint reloading at once after a pub/sub outage (`Channel.resync`), so
    they do not empty the database pool."""
    check_origin: bool | Sequence[str] = True
    """The upgrade's Origin check (as Phoenix's `check_origin`): True (the default) accepts only
    the request's own origin (scheme, host and port); a list names the allowed origins (`"https://app.example.com"`,
    `"//app.example.com"` for any scheme, `"https://*.example.com"`); False accepts any. An
    upgrade without Origin (not a browser) is accepted: its token decides."""
    max_sockets_per_user: int = 16
    """Open connections of one user on this node (the user of the connection's `AuthClaims`,
    else its `Socket.id`); policy "new refused": one more is refused with HTTP 403."""
    user_rate_limit: float = 400.0
    """Client frames per second one user may send across all their connections, sustained."""
    user_rate_burst: int = 800
    """Frames one user may send in a burst above `user_rate_limit`."""
    longpoll_window: float = 10.0
    """Seconds a long poll waits for frames before answering "nothing" (204); well under
    phoenix.js's 20 s request timeout."""
    longpoll_session_timeout: float = 15.0
    """Seconds a long-poll session lives without a poll: then it is closed like a dropped
    WebSocket (its channels end)."""
