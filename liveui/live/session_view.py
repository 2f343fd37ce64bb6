"""`SessionView`: what a connection, a component's context and the stats observer see of the
`LiveSession` they belong to.

`LiveSession` sits above all of them (it runs components, feeds connections, counts in its
stats); they name it through this structural type instead of importing it, so the imports of
`live/` run one way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .live_stats import LiveStats
    from .outbox import Outbox

__all__ = ["SessionView"]


class SessionView(Protocol):
    @property
    def user_id(self) -> Any: ...
    @property
    def session_id(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def stats(self) -> LiveStats: ...
    def push(self, component: Any) -> None:
        """Render `component` now and queue what changed (a component whose state changed
        outside a broadcast, e.g. a chart whose read arrived)."""
    def flush(self) -> bool:
        """Write what this loop turn queued now (`liveui.live.patch_flusher`)."""
    def push_event(self, event: str, payload: Any = None) -> None:
        """Send `event` with a JSON payload to this tab's client hooks."""
    def detach(self, connection: Any) -> None:
        """`connection` ended; the session waits for another one (grace period)."""
