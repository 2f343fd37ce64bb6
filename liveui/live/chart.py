"""`LiveChart`: a server-rendered SVG chart of a collection's rows per time bucket.

    class OrdersPerMinute(LiveChart):
        name = "orders_per_minute"       # component type; markup: data-chart="orders_per_minute"
        collection = "all_orders"        # a declared collection (its where/owner/audience apply)
        time_column = "inserted_at"      # counted per `step` seconds over the last `window`
        window = 30 * 60
        step = 60
        kind = "bar"                     # or "line"
        group_by = "status"              # optional: one series per value, with a legend
        ranges = {"30m": (30 * 60, 60), "24h": (86400, 3600), "7d": (7 * 86400, 86400)}

No JavaScript chart library: `liveui/chart_svg.html` draws axes with tick labels, one `<rect>`
per bucket (per series: stacked) or a line with a point per bucket, each with a `<title>`
naming its time and value, a legend for several series and an empty state; the same numbers
are also an accessible table (`liveui/chart_table.html`). The newest bucket — the one holding
now — is at the right edge. Rendered once per distinct series: every session showing the same
counts shares the render.

`ranges` lets the person choose the time range (`?range=24h`, docs/view-params.md): it
declares the view param `range` (a class may declare its own `view_params` instead; filter
params then narrow the counted rows like a collection's). The chart follows the collection's
`rows_changed`: one aggregate query (`GROUP BY` bucket) per commit for all the sessions of a
node that see the same rows and range, carried on the broadcast itself; a reading older than
the one shown is dropped. The window moves with the clock: anti-entropy's periodic check
redraws a chart whose buckets shifted.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from markupsafe import Markup

from ..pubsub.broadcast import Broadcast
from ..row_events import ROWS_CHANGED, CollectionsSource, Series, collection_topic
from .chart_layout import layout
from .component import LiveComponent
from .context import LiveContext
from .fragment import Fragment
from .number_format import format_number
from .render import Renderer
from .view_params import range_choice, view_of

if TYPE_CHECKING:
    from .session_view import SessionView

__all__ = ["LiveChart"]

log = logging.getLogger("liveui.live")


class LiveChart(LiveComponent):
    collection: ClassVar[str] = ""
    time_column: ClassVar[str] = "inserted_at"
    window: ClassVar[int] = 30 * 60
    """Seconds shown, ending now."""
    step: ClassVar[int] = 60
    """Seconds per bar."""
    title: ClassVar[str] = ""
    kind: ClassVar[str] = "bar"
    """"bar" (stacked when there are several series) or "line"."""
    group_by: ClassVar[str | None] = None
    """A column of the collection: one series per value (e.g. orders per status)."""
    ranges: ClassVar[Mapping[str, tuple[int, int]]] = {}
    """Time ranges a person may choose, by name: (window, step) in seconds; the first is the
    default. Empty: the chart always shows `window` by `step`."""
    range_labels: ClassVar[Mapping[str, str]] = {}
    """How the caption names each range ("last 24 hours, per hour"), after the title."""
    unit: ClassVar[str] = ""
    """What is counted ("orders"), for the titles and the table."""
    sum_of: ClassVar[str | None] = None
    """An integer column of the collection: each bar or point is that column summed over its
    bucket (revenue per hour, in cents) instead of the rows counted. Money stays in integers
    on the server and is shown with `value_format`."""
    value_format: ClassVar[str] = "number"
    """How values read in titles, ticks and the table: "number", or "money" (the value divided
    by `value_scale`, as `live_metric`'s money format: `$1,234.50`)."""
    value_scale: ClassVar[int] = 1
    """What a value is divided by to be shown (100: cents shown as dollars)."""
    currency: ClassVar[str] = "USD"
    empty_text: ClassVar[str] = "Nothing in this range yet."
    template = "liveui/chart.html"
    svg_template: ClassVar[str] = "liveui/chart_svg.html"
    table_template: ClassVar[str] = "liveui/chart_table.html"
    width: ClassVar[int] = 480
    height: ClassVar[int] = 160
    params_schema = {"id": str, "view": dict}
    reload_on_resume = True  # a paused tab runs no count query per change; resume runs one

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("ranges") and "view_params" not in cls.__dict__:
            cls.view_params = (range_choice("range", cls.ranges),)
        if cls.kind not in ("bar", "line"):
            raise TypeError(f"{cls.__name__}.kind must be 'bar' or 'line'")
        if cls.value_format not in ("number", "money") or cls.value_scale < 1:
            raise TypeError(f"{cls.__name__}: value_format is 'number' or 'money', and "
                            "value_scale a positive integer")

    def __init__(self, id: str | None = None, view: Mapping[str, Any] | None = None) -> None:
        params: dict[str, Any] = {}
        if id is not None:
            params["id"] = id
        cleaned = self.clean_view(view)
        if cleaned:
            params["view"] = cleaned
        super().__init__(**params)
        if not self.collection:
            raise TypeError(f"{type(self).__name__} names no collection")
        self.window_seconds, self.step_seconds = self.ranges.get(
            self.view.get("range", ""), (self.window, self.step)
        )
        self.view_key = view_of(self.view_params, cleaned)
        self.state = {"start": 0, "step": self.step_seconds, "counts": [], "groups": {}}
        self.version = 0
        self._source: CollectionsSource | None = None
        self._user: Any = None
        self._scope: Any = None
        self._session: SessionView | None = None

    def dom_id(self) -> str:
        explicit = self.params.get("id")
        return explicit if isinstance(explicit, str) else f"live-chart-{self.name}"

    @property
    def svg_id(self) -> str:
        return f"{self.id}-svg"

    def topics(self, user_id: Any) -> list[str]:
        return [collection_topic(self.collection)]

    async def authorize(self, ctx: LiveContext) -> bool:
        if ctx.user_id is None:
            return False
        return await ctx.collections.can_view(self.collection, ctx.user_id)

    def etag(self) -> str:
        raw = json.dumps(self.state, sort_keys=True).encode()
        return hashlib.sha1(raw).hexdigest()[:12]

    # data --------------------------------------------------------------------------------
    def _bounds(self) -> tuple[int, int]:
        step = self.step_seconds
        buckets = max(1, self.window_seconds // step)
        now = int(time.time())
        start = (now // step - buckets + 1) * step  # the newest bucket holds now
        return start, buckets

    def _query(self) -> Awaitable[Series]:
        assert self._source is not None
        start, buckets = self._bounds()
        return self._source.load_series(self.collection, self._user, time=self.time_column,
                                        start=start, step=self.step_seconds, buckets=buckets,
                                        view=self.view_key, group_by=self.group_by,
                                        sum_of=self.sum_of)

    def _set(self, series: Series) -> bool:
        if series.version <= self.version:
            return False  # an older reading than the one shown
        self.version = series.version
        state = {"start": series.start, "step": series.step, "counts": list(series.counts),
                 "groups": {k: list(v) for k, v in series.groups.items()}}
        changed = state != self.state
        self.state = state
        return changed

    async def mount(self, ctx: LiveContext) -> None:
        source = ctx.collections
        self._source = source
        self._user = ctx.user_id
        if ctx.session is not None:
            self._session = ctx.session
        owned = source.info(self.collection).owned
        self._scope = str(ctx.user_id) if owned else None  # who else sees the same counts
        self._set(await self._query())  # kept only if newer than what a refresh brought

    def handle_info(self, message: Broadcast) -> bool:
        if message.event != ROWS_CHANGED or self._source is None:
            return False
        # One query per broadcast and scope, shared by every session that received it; the
        # session is not held up meanwhile (its badges and tables go on), the chart follows
        # when the reading arrives.
        key = ("liveui.chart", self.collection, self.time_column, self.window_seconds,
               self.step_seconds, self.view_key, self.group_by, self.sum_of, self._scope)
        shared: asyncio.Future[Series] = message.frame(
            key, lambda _: asyncio.ensure_future(self._query())
        )
        shared.add_done_callback(self._arrived)
        return False

    def _arrived(self, reading: asyncio.Future[Series]) -> None:
        if reading.cancelled():
            return
        if reading.exception() is not None:
            log.error("liveui: the chart %r could not be read", self.name,
                      exc_info=reading.exception())
            return
        session = self._session
        if self._set(reading.result()) and session is not None and not session.closed:
            session.push(self)

    # rendering -----------------------------------------------------------------------------
    @property
    def table_id(self) -> str:
        return f"{self.id}-table"

    def _layout(self) -> dict[str, Any]:
        return layout(self.state, kind=self.kind, width=self.width, height=self.height,
                      unit=self.unit, show=self.show_value)

    def show_value(self, value: int) -> str:
        """A value as titles, ticks and the table read it."""
        if self.value_format == "money":
            return format_number(Decimal(value) / self.value_scale, "money",
                                 currency=self.currency)
        if self.value_scale != 1:
            return format_number(Decimal(value) / self.value_scale, "decimal")
        return str(value)

    def _svg(self, renderer: Renderer, drawn: dict[str, Any]) -> Fragment:
        html = renderer.render(
            self.svg_template, id=self.svg_id, name=self.name, chart=drawn,
            width=self.width, height=self.height, title=self.title,
            empty_text=self.empty_text, kind=self.kind,
        )
        return Fragment(self.svg_id, html)

    def _table(self, renderer: Renderer, drawn: dict[str, Any]) -> Fragment:
        html = renderer.render(self.table_template, id=self.table_id, chart=drawn,
                               title=self.title or self.name, unit=self.unit)
        return Fragment(self.table_id, html)

    def fragments(self, renderer: Renderer) -> list[Fragment]:
        drawn = self._layout()
        return [self._svg(renderer, drawn), self._table(renderer, drawn)]

    def render(self, renderer: Renderer) -> str:
        drawn = self._layout()
        context = self.context()
        context.update(svg=Markup(self._svg(renderer, drawn).html),
                       table=Markup(self._table(renderer, drawn).html),
                       name=self.name, title=self.title,
                       range_label=self.range_labels.get(self.view.get("range", ""), ""))
        return renderer.env.get_template(self.template).render(**context)
