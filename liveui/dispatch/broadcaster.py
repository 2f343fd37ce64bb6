"""`Broadcaster`: the one way dispatch events leave dispatch (their shapes: `liveui.user_events`).

By default it is the node's `broadcast`; `DispatchSettings.counter_broadcast_fn` (or
`Dispatch(broadcast=...)`) replaces it with any `(topic, event, payload)` callable.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError
from .settings import BroadcastFn, import_string

if TYPE_CHECKING:
    from ..node import Node

__all__ = ["Broadcaster"]

log = logging.getLogger("liveui.dispatch")


class Broadcaster:
    """Calls the configured `(topic, event, payload)` function; never raises into dispatch."""

    def __init__(self, fn: BroadcastFn | str | None, node: Node | None) -> None:
        self._fn = _resolve(fn, node)
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
                    "notification events are dropped. Pass Dispatch(..., node=node), "
                    "broadcast=callable, or DispatchSettings(counter_broadcast_fn=...)."
                )
            return
        try:
            fn(topic, event, payload)
        except Exception:
            log.exception("liveui.dispatch: broadcasting %s on %s failed", event, topic)


def _resolve(fn: BroadcastFn | str | None, node: Node | None) -> BroadcastFn | None:
    if isinstance(fn, str):
        fn = import_string(fn)
    if fn is not None:
        if not callable(fn):
            raise ConfigurationError(f"counter_broadcast_fn {fn!r} is not callable")
        resolved: Callable[[str, str, Any], Any] = fn
        return resolved
    if node is not None:
        return node.broadcast
    return None
