"""`Broadcaster`: the one way dispatch events leave the process, and their payload shapes.

Events, all on `user:<id>` (the contract the live UI and the SPA SDK are built on):
- `counter_updated` {"counter", "value", "metadata": {"invalidate_queries": [...]}, "version"}
- `new_notification` <serialized notification>
- `notification_read` {"id"}
- `all_notifications_read` {"marked_count"}
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .errors import ConfigurationError
from .settings import BroadcastFn, import_string

if TYPE_CHECKING:
    from ..channels.endpoint import Endpoint

__all__ = [
    "Broadcaster",
    "counter_payload",
    "user_topic",
]

log = logging.getLogger("liveui.dispatch")

COUNTER_UPDATED = "counter_updated"
NEW_NOTIFICATION = "new_notification"
NOTIFICATION_READ = "notification_read"
ALL_NOTIFICATIONS_READ = "all_notifications_read"


def user_topic(user_id: Any) -> str:
    return f"user:{user_id}"


def counter_payload(
    name: str, value: int, invalidates: Sequence[str], version: int
) -> dict[str, Any]:
    return {
        "counter": name,
        "value": value,
        "metadata": {"invalidate_queries": list(invalidates)},
        "version": version,
    }


class Broadcaster:
    """Calls the configured `(topic, event, payload)` function; never raises into dispatch."""

    def __init__(self, fn: BroadcastFn | str | None, endpoint: Endpoint | None) -> None:
        self._fn = _resolve(fn, endpoint)
        self._warned = False

    @property
    def configured(self) -> bool:
        return self._fn is not None

    def __call__(self, topic: str, event: str, payload: Any) -> None:
        fn = self._fn
        if fn is None:
            if not self._warned:
                self._warned = True
                log.warning(
                    "liveui.dispatch: No counter_broadcast_fn configured: counter and "
                    "notification events are dropped. Pass Dispatch(..., endpoint=endpoint), "
                    "broadcast=callable, or DispatchSettings(counter_broadcast_fn=...)."
                )
            return
        try:
            fn(topic, event, payload)
        except Exception:
            log.exception("liveui.dispatch: broadcasting %s on %s failed", event, topic)


def _resolve(fn: BroadcastFn | str | None, endpoint: Endpoint | None) -> BroadcastFn | None:
    if isinstance(fn, str):
        fn = import_string(fn)
    if fn is not None:
        if not callable(fn):
            raise ConfigurationError(f"counter_broadcast_fn {fn!r} is not callable")
        resolved: Callable[[str, str, Any], Any] = fn
        return resolved
    if endpoint is not None:
        return endpoint.broadcast
    return None
