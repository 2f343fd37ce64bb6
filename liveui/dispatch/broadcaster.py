"""`Broadcaster`: the one way dispatch events leave dispatch (their shapes: `liveui.user_events`).

By default it is the node's `broadcast`; `DispatchSettings.counter_broadcast_fn` (or
`Dispatch(broadcast=...)`) replaces it with any `(topic, event, payload)` callable. A function
written AshDispatch's way, `(user_id, counter_name, value, opts)`, is recognised by its
signature when it is configured and adapted (`ash_counter_broadcast`); one that fits neither is
refused then, not with a `TypeError` on every broadcast. With
`DispatchSettings(ash_field_names=True)` every payload also carries AshDispatch's field names.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError
from ..user_events import read_counter_updates, user_id_of, with_ash_field_names
from .dispatch_settings import BroadcastFn, import_string

if TYPE_CHECKING:
    from ..node import Node

__all__ = ["AshCounterBroadcastFn", "Broadcaster", "ash_counter_broadcast"]

AshCounterBroadcastFn = Callable[[str, str, int, Mapping[str, Any]], Any]
"""AshDispatch's `counter_broadcast_fn`: `(user_id, counter_name, value, opts)`."""

_inside = threading.local()

log = logging.getLogger("liveui.dispatch")


class Broadcaster:
    """Calls the configured `(topic, event, payload)` function; never raises into dispatch."""

    def __init__(
        self, fn: BroadcastFn | str | None, node: Node | None, *, ash_field_names: bool = False
    ) -> None:
        self._fn = _resolve(fn, node)
        self.ash_field_names = ash_field_names
        self._warned = False
        self._warned_loop = False

    @property
    def configured(self) -> bool:
        return self._fn is not None

    @property
    def busy(self) -> bool:
        """Whether this thread is inside the broadcast function right now."""
        return bool(getattr(_inside, "broadcasting", False))

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
        if self.ash_field_names:
            payload = with_ash_field_names(event, payload)
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
        if _takes_ash_arguments(fn):
            fallback = node.broadcast if node is not None else None
            log.log(
                logging.INFO if fallback is not None else logging.WARNING,
                "liveui.dispatch: counter_broadcast_fn %r takes AshDispatch's (user_id, "
                "counter_name, value, opts): it gets every counter value (opts: metadata, "
                "version) through ash_counter_broadcast; %s", fn,
                "notifications and other events go to node.broadcast" if fallback is not None
                else "notifications and other events are dropped (give Dispatch(node=...))",
            )
            ash_fn: AshCounterBroadcastFn = fn  # type: ignore[assignment]  # checked above
            return ash_counter_broadcast(ash_fn, fallback)
        resolved: Callable[[str, str, Any], Any] = fn
        return resolved
    if node is not None:
        return node.broadcast
    return None


_ASH_FIRST = ("user_id", "user")
_ASH_SECOND = ("counter_name", "counter", "name")


def _takes_ash_arguments(fn: Callable[..., Any]) -> bool:
    """Whether `fn` is written AshDispatch's way; raises when it fits neither signature."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return False  # a builtin or an odd callable: taken at its word, as (topic, event, payload)
    positional = [
        p.name for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    named_ash = bool(positional) and positional[0] in _ASH_FIRST and (
        len(positional) < 2 or positional[1] in _ASH_SECOND
    )
    if named_ash and _binds(signature, 4):
        return True  # (user_id, counter_name, value, opts \\ []) binds 3 arguments too
    if _binds(signature, 3):
        return False
    if _binds(signature, 4):
        return True
    raise ConfigurationError(
        f"counter_broadcast_fn {fn!r} takes {signature}: give a (topic, event, payload) "
        "function (node.broadcast, endpoint.broadcast) or one written AshDispatch's way, "
        "(user_id, counter_name, value, opts)"
    )


def _binds(signature: inspect.Signature, n: int) -> bool:
    try:
        signature.bind(*range(n))
    except TypeError:
        return False
    return True


def ash_counter_broadcast(
    fn: AshCounterBroadcastFn, fallback: BroadcastFn | None = None
) -> BroadcastFn:
    """Adapt an AshDispatch-style `counter_broadcast_fn(user_id, counter_name, value, opts)`
    to dispatch's `(topic, event, payload)`: each value of a `counter_updated` or
    `counters_updated` on `user:<id>` calls `fn` with `opts = {"metadata": ..., "version":
    ...}`; every other event goes to `fallback` (`node.broadcast`, typically) or is dropped.
    A function of that signature given as `counter_broadcast_fn` is adapted this way by itself.

        DispatchSettings(counter_broadcast_fn=ash_counter_broadcast(my_fn, node.broadcast))
    """

    def broadcast(topic: str, event: str, payload: Any) -> None:
        user_id = user_id_of(topic)
        updates = read_counter_updates(event, payload)
        if user_id is not None and updates:
            metadata = dict(payload.get("metadata") or {})
            for update in updates:
                fn(user_id, update.counter, update.value,
                   {"metadata": metadata, "version": update.version})
        elif fallback is not None:
            fallback(topic, event, payload)

    return broadcast
