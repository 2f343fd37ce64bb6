"""`Broadcaster`: the one way dispatch events leave dispatch (their shapes: `liveui.user_events`).

By default it is the node's `broadcast`; `DispatchSettings.counter_broadcast_fn` (or
`Dispatch(broadcast=...)`) replaces it with any `(topic, event, payload)` callable.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError
from ..user_events import COUNTER_UPDATED, read_counter_update, user_id_of
from .settings import BroadcastFn, import_string

if TYPE_CHECKING:
    from ..node import Node

__all__ = ["AshCounterBroadcastFn", "Broadcaster", "ash_counter_broadcast"]

AshCounterBroadcastFn = Callable[[str, str, int, Mapping[str, Any]], Any]
"""AshDispatch's `counter_broadcast_fn`: `(user_id, counter_name, value, opts)`."""

_inside = threading.local()

log = logging.getLogger("liveui.dispatch")


class Broadcaster:
    """Calls the configured `(topic, event, payload)` function; never raises into dispatch."""

    def __init__(self, fn: BroadcastFn | str | None, node: Node | None) -> None:
        self._fn = _resolve(fn, node)
        self._warned = False
        self._warned_loop = False

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
        if getattr(_inside, "broadcasting", False):
            # The function called back into dispatch's broadcasting (say it is
            # Dispatch.broadcast_counter, as AshDispatch's docs suggest): stop, do not recurse.
            if not self._warned_loop:
                self._warned_loop = True
                log.error(
                    "liveui.dispatch: counter_broadcast_fn %r calls back into dispatch's own "
                    "broadcasting, which would recurse forever; point it at a function that "
                    "sends (node.broadcast, or ash_counter_broadcast(your_fn, node.broadcast))",
                    fn,
                )
            return
        _inside.broadcasting = True
        try:
            fn(topic, event, payload)
        except Exception:
            log.exception("liveui.dispatch: broadcasting %r on %r failed", event, topic)
        finally:
            _inside.broadcasting = False


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


def ash_counter_broadcast(
    fn: AshCounterBroadcastFn, fallback: BroadcastFn | None = None
) -> BroadcastFn:
    """Adapt an AshDispatch-style `counter_broadcast_fn(user_id, counter_name, value, opts)`
    to dispatch's `(topic, event, payload)`: `counter_updated` on `user:<id>` calls `fn` with
    `opts = {"metadata": ..., "version": ...}`; every other event goes to `fallback`
    (`node.broadcast`, typically) or is dropped.

        DispatchSettings(counter_broadcast_fn=ash_counter_broadcast(my_fn, node.broadcast))
    """

    def broadcast(topic: str, event: str, payload: Any) -> None:
        user_id = user_id_of(topic)
        update = read_counter_update(payload) if event == COUNTER_UPDATED else None
        if user_id is not None and update is not None:
            opts = {"metadata": dict(payload.get("metadata") or {}), "version": update.version}
            fn(user_id, update.counter, update.value, opts)
        elif fallback is not None:
            fallback(topic, event, payload)

    return broadcast
