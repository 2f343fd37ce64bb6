"""Limits and timings of the live UI, in one frozen place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["LiveSettings", "TransportName"]

TransportName = Literal["sse", "ws"]


@dataclass(frozen=True, slots=True)
class LiveSettings:
    transport: TransportName = "sse"
    """"sse" (Server-Sent Events, the default) or "ws" (WebSocket); both carry the same patches."""
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
    debug: bool = False
    """Template mistakes (an undeclared counter in `live_badge`) raise instead of logging a
    warning; turn on in development."""
    resync_concurrency: int = 4
    """Sessions reloading from the database at once after a pub/sub outage (a resync)."""
    verify_interval: float = 60.0
    """Anti-entropy: each session's components are compared with the database at most this
    often (seconds; 0 turns it off), and repaired if they drifted."""
    verify_per_tick: int = 20
    """Anti-entropy budget: sessions verified per tick of the shared timer (one user's sessions
    share one load), so the cost stays bounded however many sessions the node holds."""

    def __post_init__(self) -> None:
        if self.verify_interval < 0:
            raise ValueError("liveui: LiveSettings.verify_interval must be >= 0")
        if self.transport not in ("sse", "ws"):
            raise ValueError(f"liveui: transport must be 'sse' or 'ws', not {self.transport!r}")
        limits = (
            "replay_buffer",
            "max_pending",
            "max_connections_per_session",
            "max_components",
            "resync_concurrency",
            "verify_per_tick",
        )
        for name in limits:
            if getattr(self, name) < 1:
                raise ValueError(f"liveui: LiveSettings.{name} must be at least 1")
