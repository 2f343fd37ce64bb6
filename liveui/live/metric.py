"""`LiveMetric`: a declared aggregate's value as a KPI tile, rendered on first paint and kept
live.

Markup contract: the element carries `data-metric="<name>"`, `data-value` (the exact decimal,
empty for null) and its text is the formatted value (`$1,234.50`). Formatting happens here, on
the server, so every transport and the first paint show the same text (see `number_format`).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from decimal import Decimal
from typing import Any

from ..errors import SpecError
from ..pubsub.broadcast import Broadcast
from ..user_events import (
    AGGREGATE_UPDATED,
    AggregateUpdate,
    AggregateValueLike,
    aggregate_wire_value,
    read_aggregate_update,
)
from .component import LiveComponent
from .context import LiveContext
from .number_format import check_format, format_number

__all__ = ["LiveMetric"]

_AGGREGATE_UPDATE = "liveui.aggregate_update"


def _aggregate_update(message: Broadcast) -> AggregateUpdate | None:
    return read_aggregate_update(message.payload)


class LiveMetric(LiveComponent):
    __slots__ = ("aggregate", "format")
    name = "metric"
    template = "liveui/metric.html"
    params_schema = {
        "aggregate": str, "format": str, "currency": str, "locale": str, "places": int,
        "empty": (str, int), "label": str, "id": str,
    }

    def __init__(
        self,
        aggregate: str,
        format: str = "decimal",
        currency: str = "USD",
        locale: str | None = None,
        places: int | None = None,
        empty: str | int = "—",
        label: str | None = None,
        id: str | None = None,
    ) -> None:
        if not isinstance(aggregate, str) or not aggregate:
            raise TypeError("a metric needs an aggregate name")
        try:
            check_format(format, currency, locale, places)
        except ValueError as exc:
            raise SpecError(f"metric {aggregate!r}: {exc}") from None
        params: dict[str, Any] = {"aggregate": aggregate}
        # Only what differs from the defaults goes into the spec the page sends back.
        for key, value, default in (
            ("format", format, "decimal"), ("currency", currency, "USD"), ("locale", locale, None),
            ("places", places, None), ("empty", empty, "—"), ("label", label, None),
            ("id", id, None),
        ):
            if value != default:
                params[key] = value
        super().__init__(**params)
        self.aggregate = aggregate
        self.format = (format, currency, locale, places, empty)
        self.state = {"value": None, "version": 0}

    def dom_id(self) -> str:
        explicit = self.params.get("id")
        if isinstance(explicit, str):
            return explicit
        return f"liveui-metric-{self.params['aggregate']}"

    def set_from(self, aggregates: Mapping[str, AggregateValueLike]) -> None:
        found = aggregates.get(self.aggregate)
        if found is None:
            # Not in the user's audience, not declared, or its query failed this time: a tile
            # that showed a value keeps it (never a 0 invented by a failing database).
            return
        if int(found.version) >= self.state["version"]:
            self.state = {"value": aggregate_wire_value(found.value),
                          "version": int(found.version)}

    async def mount(self, ctx: LiveContext) -> None:
        self.set_from(await ctx.aggregates())

    def handle_info(self, message: Broadcast) -> bool:
        if message.event != AGGREGATE_UPDATED:
            return False
        update = message.frame(_AGGREGATE_UPDATE, _aggregate_update)  # read once per broadcast
        if update is None or update.aggregate != self.aggregate:
            return False
        if update.version <= self.state["version"]:
            return False  # late or duplicate: what we hold is as new or newer
        value = aggregate_wire_value(update.value)
        changed: bool = value != self.state["value"]
        self.state = {"value": value, "version": update.version}
        return changed

    @property
    def text(self) -> str:
        fmt, currency, locale, places, empty = self.format
        raw = self.state["value"]
        return format_number(None if raw is None else Decimal(raw), fmt, currency=currency,
                             locale=locale, places=places, empty=empty)

    def etag(self) -> str:
        return str(self.state["value"])

    def render_key(self) -> Hashable | None:
        if type(self).context is not LiveMetric.context:
            return None  # a subclass's context may hold more than the value
        return (LiveMetric, self.id, self._params_json, self.state["value"])

    def context(self) -> dict[str, Any]:
        # Only the value is rendered, so every session at the same value shares one render.
        context = super().context()
        context["state"] = {"value": self.state["value"], "text": self.text}
        return context
