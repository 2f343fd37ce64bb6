"""`LiveBadge`: a counter's current value, rendered on first paint and kept live.

Markup contract: the element carries `data-counter="<name>"` and its text is the value.
"""

from __future__ import annotations

import sys
from collections.abc import Hashable, Mapping
from typing import Any

from ..pubsub.broadcast import Broadcast
from ..user_events import CounterUpdate, CounterValueLike, read_counter_updates
from .component import LiveComponent
from .context import LiveContext

__all__ = ["LiveBadge"]

_COUNTER_UPDATES = "liveui.counter_updates"


def _counter_updates(message: Broadcast) -> dict[str, CounterUpdate]:
    return {u.counter: u for u in read_counter_updates(message.event, message.payload)}


_STATES: dict[tuple[int, int], dict[str, int]] = {}
_STATES_KEPT = 1024


def _state(value: int, version: int) -> dict[str, int]:
    """A badge's state, one dict for every badge at that value and version (the tabs of one
    user hold the same): states are replaced, never changed in place."""
    key = (value, version)
    state = _STATES.get(key)
    if state is None:
        if len(_STATES) >= _STATES_KEPT:
            del _STATES[next(iter(_STATES))]
        state = _STATES[key] = {"value": value, "version": version}
    return state


class LiveBadge(LiveComponent):
    __slots__ = ("counter",)
    name = "badge"
    template = "liveui/badge.html"
    params_schema = {"counter": str, "label": str, "hide_zero": bool, "id": str}

    def __init__(
        self, counter: str, label: str | None = None, hide_zero: bool = False, id: str | None = None
    ) -> None:
        if not isinstance(counter, str) or not counter:
            raise TypeError("a badge needs a counter name")
        params: dict[str, Any] = {"counter": counter}
        if label is not None:
            params["label"] = str(label)
        if hide_zero:
            params["hide_zero"] = True
        if id is not None:
            params["id"] = id
        super().__init__(**params)
        self.counter = sys.intern(counter)
        """The counter's name (asked of every broadcast on the user's topic: kept, not looked
        up)."""
        self.state = _state(0, 0)

    def dom_id(self) -> str:
        explicit = self.params.get("id")
        return explicit if isinstance(explicit, str) else f"liveui-badge-{self.params['counter']}"

    def set_from(self, counters: Mapping[str, CounterValueLike]) -> None:
        found = counters.get(self.counter)
        if found is None:
            # Not in the user's audience, not declared, or its query failed this time: a badge
            # that showed a value keeps it (never a 0 invented by a failing database).
            if not self.state.get("version"):
                self.state = _state(0, 0)
        elif int(found.version) >= self.state["version"]:
            # A load older than a broadcast already shown (both read from the database, the
            # load first) must not roll the value back.
            self.state = _state(int(found.value), int(found.version))

    async def mount(self, ctx: LiveContext) -> None:
        self.set_from(await ctx.counters())

    def handle_info(self, message: Broadcast) -> bool:
        # `counter_updated` or `counters_updated` (several counters in one message), read with
        # the wire contract's checked reader (a malformed entry is ignored) once per broadcast,
        # however many badges of however many tabs look at it.
        update = message.frame(_COUNTER_UPDATES, _counter_updates).get(self.counter)
        if update is None:
            return False
        return self._apply({"value": update.value, "version": update.version})

    def _apply(self, update: Mapping[str, int]) -> bool:
        """`update`: a checked value and version (`user_events.read_counter_update`)."""
        value, version = update["value"], update["version"]
        if version and version <= self.state["version"]:
            return False  # late or duplicate: what we hold is as new or newer
        changed: bool = value != self.state["value"]
        self.state = _state(value, version)
        return changed

    def etag(self) -> str:
        return str(self.state["value"])

    def render_key(self) -> Hashable | None:
        if type(self).context is not LiveBadge.context:
            return None  # a subclass's context may hold more than the value
        return (LiveBadge, self.id, self._params_json, self.state["value"])

    def context(self) -> dict[str, Any]:
        # Only the value is rendered, so every session at the same value shares one render.
        context = super().context()
        context["state"] = {"value": self.state["value"]}
        return context
