"""Limits and timings of the live UI, in one frozen place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["LiveSettings", "TransportName"]

TransportName = Literal["sse", "ws"]


@dataclass(frozen=True, slots=True)
class LiveSettings:
    transport: TransportName = "ws"
    """"ws" (WebSocket, the default) or "sse" (Server-Sent Events); both carry the same patches.
    Over HTTP/1.1 an SSE stream holds one of the browser's six connections per host for as long
    as its tab is open, so a seventh tab of one browser freezes: choose "sse" only behind
    HTTP/2 (docs/many-tabs.md). A browser whose WebSocket never opens falls back to SSE."""
    prefix: str = "/liveui"
    """URL prefix of the live endpoints: `<prefix>/sse`, `<prefix>/ws`, `<prefix>/event`."""
    static_url: str = "/static/liveui"
    """Where liveui.js, liveui.css and the vendored htmx builds are served."""
    stylesheet: bool = True
    """Link the default liveui.css from `liveui_head()`; switch off to style everything yourself."""
    heartbeat_interval: float = 15.0
    """Seconds of silence after which a connection gets a heartbeat (proxies close idle streams)."""
    grace_period: float = 60.0
    """Seconds a disconnected session stays alive, buffering patches for a reconnect."""
    replay_buffer: int = 256
    """Patches kept per session for replay after a reconnect; older ids get a full re-render."""
    max_pending: int = 256
    """Patches a connection may have unsent; beyond it the client is disconnected (it resyncs)."""
    max_connections_per_session: int = 4
    """Connections sharing one session id (a duplicated tab); the oldest is closed beyond it."""
    max_sessions_per_user: int = 32
    """Live sessions (open pages) one user may hold on a node; policy "oldest closed": one more
    closes that user's oldest, with 1008 / a `liveui-close` event."""
    share_sessions: bool = True
    """Tabs of one login that open the same page in the same state share one session until
    one of them diverges (an action, a view change, hidden): a commit is applied and rendered
    once for all of them (docs/live.md, Shared sessions). False: one session per tab."""
    max_actions_per_second: float = 20.0
    """Live actions (`POST <prefix>/event` and WebSocket frames) one user may send per second,
    sustained, across all their pages on a node; beyond it actions get 429."""
    max_actions_burst: int = 40
    """Actions one user may send in a burst above the sustained rate."""
    check_origin: bool | tuple[str, ...] = True
    """The live WebSocket's Origin check: True (the default) accepts only the request's own
    host, a tuple lists the allowed origins (`"https://app.example.com"`), False accepts any.
    A request without Origin (not a browser) is accepted: the token authenticates it."""
    max_message_size: int = 64 * 1024
    """Bytes of one live WebSocket frame from the client; a larger one closes with 1009. Set
    the ASGI server's own limit (uvicorn `ws_max_size`) no higher, so it is enforced before
    the frame is read."""
    token_max_age: float = 7 * 24 * 3600.0
    """Seconds a live-session token stays valid (a tab open longer reloads to get a new one)."""
    render_cache_size: int = 2048
    """Rendered fragments kept, keyed by template + state, shared by every session."""
    notification_limit: int = 10
    """Notifications loaded by `prepare()` for the dropdown."""
    max_components: int = 64
    """Live components one page may declare; a longer spec list is refused with 400."""
    retry_ms: int = 1000
    """The SSE `retry:` the browser waits before reconnecting on its own."""
    resync_concurrency: int = 4
    """Sessions reloading from the database at once after a pub/sub outage (a resync)."""
    verify_interval: float = 60.0
    """Anti-entropy: each session's components are compared with the database at most this
    often (seconds; 0 turns it off), and repaired if they drifted."""
    verify_per_tick: int = 20
    """Anti-entropy budget: sessions verified per tick of the shared timer (one user's sessions
    share one load), so the cost stays bounded however many sessions the node holds."""
    pause_after: float | None = 30.0
    """Seconds a tab may stay hidden before its live session pauses: the server stops rendering
    for it until the tab is shown again, then brings what changed up to date
    (docs/hidden-tabs.md). None: never pause."""

    def __post_init__(self) -> None:
        if self.pause_after is not None and self.pause_after < 0:
            raise ValueError("liveui: LiveSettings.pause_after must be >= 0 or None")
        if self.verify_interval < 0:
            raise ValueError("liveui: LiveSettings.verify_interval must be >= 0")
        if self.transport not in ("sse", "ws"):
            raise ValueError(f"liveui: transport must be 'sse' or 'ws', not {self.transport!r}")
        limits = (
            "replay_buffer",
            "max_pending",
            "max_connections_per_session",
            "max_sessions_per_user",
            "max_actions_burst",
            "max_message_size",
            "max_components",
            "resync_concurrency",
            "verify_per_tick",
        )
        for name in limits:
            if getattr(self, name) < 1:
                raise ValueError(f"liveui: LiveSettings.{name} must be at least 1")
