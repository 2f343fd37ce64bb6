"""`LiveChart`: a server-rendered SVG bar chart of a collection's rows per time bucket.

    class OrdersPerMinute(LiveChart):
        name = "orders_per_minute"       # component type; markup: data-chart="orders_per_minute"
        collection = "all_orders"        # a declared collection (its where/owner/audience apply)
        time_column = "inserted_at"      # counted per `step` seconds over the last `window`
        window = 30 * 60
        step = 60

No JavaScript chart library: the bars are `<rect>`s rendered by `liveui/chart_svg.html`, once
per distinct series (every session showing the same counts shares the render). The chart
follows the collection's `rows_changed`: one aggregate query (`GROUP BY` bucket) per commit
for all the sessions of a node that see the same rows (those of one owner, or every member of
the audience), carried on the broadcast itself; a reading older than the one shown is dropped.
The window moves with the clock: anti-entropy's periodic check redraws a chart whose buckets
shifted.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, ClassVar

from markupsafe import Markup

from ..pubsub.broadcast import Broadcast
from ..row_events import ROWS_CHANGED, CollectionsSource, Series, collection_topic
from .component import LiveComponent
from .context import LiveContext
from .fragment import Fragment
from .render import Renderer

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
    template = "liveui/chart.html"
    svg_template: ClassVar[str] = "liveui/chart_svg.html"
    width: ClassVar[int] = 360
    height: ClassVar[int] = 80
    params_schema = {"id": str}
    reload_on_resume = True  # a paused tab runs no count query per change; resume runs one

    def __init__(self, id: str | None = None) -> None:
        params: dict[str, Any] = {}
        if id is not None:
            params["id"] = id
        super().__init__(**params)
        if not self.collection:
            raise TypeError(f"{type(self).__name__} names no collection")
        self.state = {"start": 0, "step": self.step, "counts": []}
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
        buckets = max(1, self.window // self.step)
        now = int(time.time())
        start = (now // self.step - buckets + 1) * self.step
        return start, buckets

    def _query(self) -> Awaitable[Series]:
        assert self._source is not None
        start, buckets = self._bounds()
        return self._source.load_series(self.collection, self._user, time=self.time_column,
                                        start=start, step=self.step, buckets=buckets)

    def _set(self, series: Series) -> bool:
        if series.version <= self.version:
            return False  # an older reading than the one shown
        self.version = series.version
        state = {"start": series.start, "step": series.step, "counts": list(series.counts)}
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
        key = ("liveui.chart", self.collection, self.time_column, self.window, self.step,
               self._scope)
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
    def _bars(self) -> list[dict[str, Any]]:
        counts: list[int] = self.state["counts"]
        if not counts:
            return []
        top = max(max(counts), 1)
        width = self.width / len(counts)
        bars = []
        for i, n in enumerate(counts):
            at = self.state["start"] + i * self.state["step"]
            h = round((self.height - 2) * n / top, 1)
            bars.append({
                "x": round(i * width + 0.5, 1), "y": round(self.height - h, 1),
                "w": round(max(width - 1, 1), 1), "h": h, "n": n,
                "at": time.strftime("%H:%M", time.gmtime(at)),
            })
        return bars

    def _svg(self, renderer: Renderer) -> Fragment:
        counts: list[int] = self.state["counts"]
        html = renderer.render(
            self.svg_template, id=self.svg_id, name=self.name, bars=self._bars(),
            width=self.width, height=self.height, total=sum(counts),
            top=max(counts) if counts else 0, title=self.title,
        )
        return Fragment(self.svg_id, html)

    def fragments(self, renderer: Renderer) -> list[Fragment]:
        return [self._svg(renderer)]

    def render(self, renderer: Renderer) -> str:
        context = self.context()
        context.update(svg=Markup(self._svg(renderer).html), name=self.name, title=self.title)
        return renderer.env.get_template(self.template).render(**context)
