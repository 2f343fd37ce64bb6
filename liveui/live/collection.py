"""`LiveCollection`: a live table or list of the rows of a declared collection.

    class MyOrders(LiveCollection):
        name = "my_orders"               # component type; also the collection, by default
        row_template = "order_row.html"  # one row: <tr id="{{ row_id }}">{{ row.item }}</tr>
        template = "orders_table.html"   # frame: <div id="{{ id }}" {{ attrs }}>...{{ rows }}
        rows_tag = "tbody"               # the element the rows live in
        limit = 20                       # rows shown; "load more" adds as many again

Rows are keyed by primary key and patched one by one: a new row is inserted at its place in
the collection's order, a changed row is replaced in place (or moved when its place changed),
a row that left — deleted, filtered out, given to another owner — is deleted. Past `limit` the
last rows fall off and a "load more" button continues after the last row shown (a keyset
cursor, never an offset).

A person may change what it shows when the class declares `view_params` (filters, a search,
a sort: docs/view-params.md) and the collection declares the matching `filters`, `search` and
`sorts`; each view has its own order and keyset cursors.

Where rows come from: after a commit the node's `CollectionFeed` re-reads the changed keys once
for every distinct view shown on the node and hands the same read to each session showing it;
this component keeps the rows its user may see (owner and audience are checked here, on the
server, for every change — rows that leave a user's view included). Reads carry versions: a
row is only replaced by a newer read of it.
"""

from __future__ import annotations

import asyncio
import bisect
import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Awaitable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from markupsafe import Markup, escape

from ..errors import EventRejected
from ..pubsub.broadcast import Broadcast
from ..row_events import (
    ROWS_CHANGED,
    ROWS_READ,
    CollectionInfo,
    CollectionsSource,
    RowsPage,
    RowsRead,
    RowState,
    View,
    collection_topic,
)
from .component import LiveComponent
from .context import LiveContext
from .fragment import Fragment, Op
from .render import Renderer
from .row_root import check_row_root
from .view_params import ViewParam, view_of, view_query

if TYPE_CHECKING:
    from .collection_feed import CollectionFeed

__all__ = ["LiveCollection"]

_UNSAFE_ID = re.compile(r"[^\w-]")
_SMALL_READ = 4
"""Reads of at most this many rows are applied key by key without the owner index."""
_REMEMBERED_GONE = 256
"""Rows that left, remembered with the version of the read that saw them go (bounded)."""


def _sort(row: RowState) -> tuple[Any, ...]:
    return row.sort


def _at(row: RowState, version: int) -> RowState:
    """`row` as read at `version`: the loader's reads already carry their version (and their
    rows stay shared between sessions); a read made by hand gets copies that do."""
    if row.version == version:
        return row
    return RowState(row.key, row.owner, row.sort, row.cursor, row.values, version, row.rendered)


class LiveCollection(LiveComponent):
    __slots__ = (
        "_audience_ok", "_extras_shown", "_feed", "_gone", "_info", "_more_link", "_shown",
        "_source", "_touched", "_user", "has_more", "rows", "version", "view_key", "window",
    )
    collection: ClassVar[str] = ""
    """The declared collection (`collection(...)` on the model); default: the component name."""
    row_template: ClassVar[str] = ""
    """Renders one row (context: `row` — the row's values —, `row_id`, `key`). Its root element
    must carry `id="{{ row_id }}"`. Rendered once per row state and shared by every session,
    so it must not depend on who is looking."""
    template = "liveui/collection.html"
    """The frame, rendered on first paint only: it must carry `id="{{ id }}" {{ attrs }}` and
    place `{{ rows }}` (the rows' container), `{{ empty }}` and `{{ more }}`."""
    empty_template: ClassVar[str] = "liveui/collection_empty.html"
    more_template: ClassVar[str] = "liveui/collection_more.html"
    rows_tag: ClassVar[str] = "ul"
    """The element the rows live in (`tbody` for a table, `ul`/`ol` for a list)."""
    rows_class: ClassVar[str] = "liveui-rows"
    limit: ClassVar[int] = 50
    empty_text: ClassVar[str] = "Nothing here yet."
    more_text: ClassVar[str] = "Load more"
    params_schema = {"id": str, "view": dict}
    reload_on_resume = True  # a paused tab skips row reads and refills; resume re-reads
    tracks_changes = True  # a read names the rows it touched: no diff of every row shown
    wait_for_reads: ClassVar[bool] = True
    """True (the default): a tab's patches of a commit wait for the feed's read of the rows it
    changed, so badge and row leave as one write (docs/live.md). False: a commit that changes
    rows reaches a tab as two writes, its counters and notifications at once, its rows when
    they are read (a collection whose reads are slow may prefer its badges not to wait)."""
    _extras: ClassVar[dict[tuple[int, str, str, bool, str], Fragment]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._extras = {}

    def __init__(self, id: str | None = None, view: Mapping[str, Any] | None = None) -> None:
        params: dict[str, Any] = {}
        if id is not None:
            params["id"] = id
        cleaned = self.clean_view(view)
        if cleaned:
            params["view"] = cleaned
        super().__init__(**params)
        if not self.row_template:
            raise TypeError(f"{type(self).__name__} sets no row_template")
        self.view_key: View = view_of(self.view_params, cleaned)
        """What the rows are filtered and ordered by (the feed reads each distinct one)."""
        self.rows: list[RowState] = []
        self.has_more = False
        self.window = self.limit * self._pages()
        self.version = 0
        """The version of the last full load: reads of rows not shown must be newer."""
        self._shown: dict[Any, RowState] = {}
        """The rows in `rows`, by key (each carries the version of the read that saw it)."""
        self._gone: OrderedDict[Any, int] = OrderedDict()
        # Since the page was last sent this collection: key -> [the row the page shows (None:
        # none), the row it should show]. Made when first needed, dropped once sent.
        self._touched: dict[Any, list[RowState | None]] | None = None
        self._extras_shown: tuple[str, str] | None = None  # the empty state and "load more"
        self._user: str | None = None
        self._info: CollectionInfo | None = None
        self._audience_ok = False
        self._source: CollectionsSource | None = None
        self._feed: CollectionFeed | None = None
        self._more_link: str | None = None

    # identity ------------------------------------------------------------------------------
    @classmethod
    def collection_name(cls) -> str:
        return cls.collection or cls.name

    def dom_id(self) -> str:
        explicit = self.params.get("id")
        return explicit if isinstance(explicit, str) else f"live-{self.name}"

    @property
    def rows_id(self) -> str:
        return f"{self.id}-rows"

    def row_id(self, key: Any) -> str:
        if type(key) is int:
            return f"{self.id}-{key}"
        return f"{self.id}-{_UNSAFE_ID.sub('-', str(key))}"

    def topics(self, user_id: Any) -> list[str]:
        return [collection_topic(self.collection_name())]

    def etag(self) -> str:
        digest = hashlib.sha1()
        for row in self.rows:
            digest.update(json.dumps([row.key, row.values], sort_keys=True, default=str).encode())
        digest.update(b"more" if self.has_more else b"end")
        return digest.hexdigest()[:12]

    # authorization -------------------------------------------------------------------------
    async def authorize(self, ctx: LiveContext) -> bool:
        """Whether this user may look at the collection at all (its audience); which rows they
        see is decided row by row."""
        if ctx.user_id is None:
            return False
        return await ctx.collections.can_view(self.collection_name(), ctx.user_id)

    # loading -------------------------------------------------------------------------------
    async def mount(self, ctx: LiveContext) -> None:
        source = ctx.collections
        name = self.collection_name()
        self._source = source
        self._info = source.info(name)
        self._user = str(ctx.user_id)
        if ctx.feed is not None:
            ctx.feed.watch(name, self.view_key, self)
            self._feed = ctx.feed
        page = await source.load_page(name, ctx.user_id, limit=self.window, view=self.view_key)
        # An empty page of a collection with an audience may mean "not in it": then no read of
        # it is shown either (checked again here, the audience may have changed).
        self._audience_ok = bool(page.rows) or await self.authorize(ctx)
        self._set(page)

    def _set(self, page: RowsPage) -> None:
        before = self._shown
        self.rows = list(page.rows)
        self.has_more = page.has_more
        self.version = page.version
        shown = self._shown = {row.key: row for row in self.rows}
        # Only the rows that changed are touched: a row read again unchanged is the same shared
        # state, so a reload of what the page shows (anti-entropy's check) touches nothing and
        # leaves nothing held until the next change.
        for key, row in before.items():
            if key not in shown:
                self._touch(key, row, None)
        for key, row in shown.items():
            old = before.get(key)
            if old is not row:
                self._touch(key, old, row)
        self._gone.clear()

    def _touch(self, key: Any, before: RowState | None, after: RowState | None) -> None:
        """Record that row `key` went from `before` to `after` (None: not shown)."""
        touched = self._touched
        if touched is None:
            touched = self._touched = {}
        change = touched.get(key)
        if change is None:
            touched[key] = [before, after]
        else:
            change[1] = after  # the page still shows the first `before`
    def _admits(self, row: RowState) -> bool:
        info = self._info
        if info is None or not self._audience_ok:
            return False
        return not info.owned or str(row.owner) == self._user

    def _held_version(self, key: Any) -> int:
        row = self._shown.get(key)
        if row is not None:
            # A page's rows are held at the page's version even when shared older states.
            return row.version if row.version > self.version else self.version
        return self._gone.get(key, self.version)

    def _index(self, row: RowState) -> int:
        """Where `row` (one of `rows`) is: rows are kept in order, so a bisection (a scan if
        rows given by hand were not in order)."""
        rows = self.rows
        index = bisect.bisect_left(rows, row.sort, key=_sort)
        if index < len(rows) and rows[index] is row:
            return index
        return next(i for i, shown in enumerate(rows) if shown is row)

    def _forget(self, key: Any, version: int) -> None:
        self._gone[key] = version
        self._gone.move_to_end(key)
        while len(self._gone) > _REMEMBERED_GONE:
            self._gone.popitem(last=False)

    # changes -------------------------------------------------------------------------------
    def awaited_read(self, message: Broadcast) -> int:
        feed = self._feed
        if not self.wait_for_reads or feed is None or message.event != ROWS_CHANGED:
            return 0
        return feed.number(message)

    def handle_info(self, message: Broadcast) -> bool | Awaitable[bool]:
        if message.event != ROWS_READ:
            return False  # `rows_changed` is the feed's: it reads once for every session
        read = message.payload
        if not isinstance(read, RowsRead) or read.collection != self.collection_name():
            return False
        if read.view != self.view_key:
            return False  # another view's read: its rows match other filters, sort otherwise
        changed = self.apply(read)
        if len(self.rows) < self.window and self.has_more:
            return self._refill(changed, message)
        return changed

    def apply(self, read: RowsRead) -> bool:
        """Merge a shared read into what this session shows; True if anything changed. The cost
        is that of the rows read, not of the rows shown (bisections into the ordered rows)."""
        changed = False
        had_more = self.has_more
        rows = self.rows
        shown = self._shown
        read_rows = read.rows
        for key in self._keys_to_apply(read):
            row = read_rows[key]
            if read.version <= self._held_version(key):
                continue  # what we hold is as new or newer
            old = shown.pop(key, None)
            index = -1
            if old is not None:
                index = self._index(old)
                del rows[index]
            if row is None or not self._admits(row):
                if old is not None:
                    self._forget(key, read.version)
                    self._touch(key, old, None)
                    changed = True
                continue
            row = _at(row, read.version)
            same_place = old is not None and old.sort == row.sort  # the common update
            position = index if same_place else bisect.bisect_left(rows, row.sort, key=_sort)
            if not same_place and position == len(rows) and (
                self.has_more or len(rows) >= self.window
            ):
                # Past the last row shown: it waits behind "load more".
                self.has_more = True
                if old is not None:
                    self._forget(key, read.version)
                    self._touch(key, old, None)
                    changed = True
                continue
            rows.insert(position, row)
            shown[key] = row
            self._gone.pop(key, None)
            self._touch(key, old, row)
            changed = changed or old is None or old.values != row.values or position != index
        while len(rows) > self.window:
            dropped = rows.pop()
            del shown[dropped.key]
            self._touch(dropped.key, dropped, None)
            self.has_more = True
            changed = True
        return changed or had_more != self.has_more

    def _keys_to_apply(self, read: RowsRead) -> Iterable[Any]:
        """The keys of `read` that may change what this session shows. Of a collection of owned
        rows, the user's own rows and the rows shown (one may have left): a read of a hundred
        users' orders costs each session its own, not the hundred. Skipping the others changes
        nothing: a row not shown that this user may not see is not looked at in `apply`."""
        rows = read.rows
        info = self._info
        if info is None or not info.owned or len(rows) <= _SMALL_READ or self._user is None:
            return rows
        shown = self._shown
        mine = read.owned_by(self._user)
        if len(shown) < len(rows):
            left = [key for key in shown if key in rows]
        else:
            left = [key for key in rows if key in shown]
        return dict.fromkeys([*mine, *left]) if left else mine

    async def _refill(self, changed: bool, message: Broadcast | None = None) -> bool:
        """Rows left the window while more wait behind it: move the next ones up. The sessions
        that received the same read and show the same view, rows and window (of one owner's
        rows, or of an audience's) share one query through the broadcast."""
        source = self._source
        if source is None:
            return changed
        limit = self.window - len(self.rows)
        after = self.rows[-1].cursor if self.rows else None

        def load(_: Broadcast | None = None) -> asyncio.Future[RowsPage]:
            assert source is not None
            return asyncio.ensure_future(source.load_page(
                self.collection_name(), self._user, limit=limit, after=after,
                view=self.view_key))

        scope = self._user if self._info is None or self._info.owned else None
        key = ("liveui.refill", self.collection_name(), self.view_key, after, limit, scope)
        try:
            shared = load() if message is None else message.frame(key, load)
        except TypeError:  # an unhashable cursor value: a query of its own
            shared = load()
        page = await asyncio.shield(shared)
        return self._extend(page) or changed

    def _extend(self, page: RowsPage) -> bool:
        changed = False
        for row in page.rows:
            if row.key in self._shown or page.version <= self._gone.get(row.key, 0):
                continue
            self.rows.insert(bisect.bisect_left(self.rows, row.sort, key=_sort), row)
            self._shown[row.key] = row
            self._touch(row.key, None, row)
            changed = True
        if self.has_more != page.has_more:
            self.has_more = page.has_more
            changed = True
        return changed

    async def handle_event(self, event: str, data: Mapping[str, Any], ctx: LiveContext) -> None:
        if event != "more":
            raise EventRejected(400, f"{self.name} does not handle the event {event!r}")
        if self._source is None:  # not this tab's live instance: nothing to extend
            return
        page = await self._source.load_page(
            self.collection_name(),
            self._user,
            limit=self.limit,
            after=self.rows[-1].cursor if self.rows else None,
            view=self.view_key,
        )
        self.window += self.limit
        self._extend(page)

    # rendering -----------------------------------------------------------------------------
    def _row_html(self, renderer: Renderer, row: RowState) -> str:
        return self._row_fragment(renderer, row, None).html

    def _row_fragment(self, renderer: Renderer, row: RowState, previous: str | None) -> Fragment:
        """The row as a fragment placed after `previous` (None: first). Memoized on the row
        state, which the sessions showing it share: one render and one Fragment for all."""
        memo = (self.row_template, self.id, previous)
        fragment = row.rendered.get(memo)
        if fragment is None:
            row_id = self.row_id(row.key)
            html = None
            for (template, component, _), known in row.rendered.items():
                if template == self.row_template and component == self.id:
                    html = known.html
                    break
            if html is None:
                html = renderer.render(self.row_template, row=row.values, row_id=row_id,
                                       key=row.key)
                check_row_root(html, row_id, self.row_template, type(self).__name__)
            if previous is None:
                fragment = Fragment(row_id, html, container=self.rows_id, position="afterbegin")
            else:
                fragment = Fragment(row_id, html, container=previous, position="afterend")
            row.rendered[memo] = fragment
        return fragment

    def _pages_param(self) -> ViewParam | None:
        return next((p for p in self.view_params if p.role == "pages"), None)

    def _pages(self) -> int:
        param = self._pages_param()
        return 1 if param is None else int(self.view.get(param.name, param.default))

    def more_link(self) -> str:
        """With a `pages` view param: the URL query of this view one page longer ("load more"
        as a link the server owns, kept in the address bar); else "". Made once: a
        component's params (its view) never change."""
        link = self._more_link
        if link is None:
            link = self._more_link = self._make_more_link()
        return link

    def _make_more_link(self) -> str:
        param = self._pages_param()
        if param is None:
            return ""
        wanted = {**self.view, param.name: str(self._pages() + 1)}
        return f"?{view_query(self.view_params, self.clean_view(wanted))}"

    def _empty(self, renderer: Renderer) -> Fragment:
        return self._extra(renderer, "empty", not self.rows)

    def _more(self, renderer: Renderer) -> Fragment:
        return self._extra(renderer, "more", self.has_more, self.more_link())

    def _extra(self, renderer: Renderer, part: str, shown: bool, href: str = "") -> Fragment:
        """The empty state or the "load more" button: two renders per collection type (and
        "load more" link), kept by the class (they depend on nothing but the type, whether they
        show and the link)."""
        cache = type(self)._extras
        memo = (id(renderer.env), self.id, part, shown, href)
        fragment = cache.get(memo)
        if fragment is None:
            fid = f"{self.id}-{part}"
            if part == "empty":
                html = renderer.render(self.empty_template, id=fid, empty=shown,
                                       text=self.empty_text)
            else:
                html = renderer.render(self.more_template, id=fid, has_more=shown,
                                       text=self.more_text, vals=self.event_vals("more"),
                                       href=href)
            fragment = cache[memo] = Fragment(fid, html)
            while len(cache) > 64:  # a few ids per type; bounded however ids are chosen
                del cache[next(iter(cache))]
        return fragment

    def _rows(self, renderer: Renderer) -> Fragment:
        inner = "".join(self._row_html(renderer, row) for row in self.rows)
        css = f' class="{escape(self.rows_class)}"' if self.rows_class else ""
        html = f'<{self.rows_tag} id="{self.rows_id}"{css}>{inner}</{self.rows_tag}>'
        return Fragment(self.rows_id, html)

    def fragments(self, renderer: Renderer) -> list[Fragment]:
        out: list[Fragment] = []
        previous: str | None = None
        for row in self.rows:
            fragment = self._row_fragment(renderer, row, previous)
            out.append(fragment)
            previous = fragment.id
        return [*out, self._empty(renderer), self._more(renderer)]

    def full_fragments(self, renderer: Renderer) -> list[Fragment]:
        return [self._rows(renderer), self._empty(renderer), self._more(renderer)]

    def changed_ops(self, renderer: Renderer) -> list[Op] | None:
        """The operations that bring the page from what it was last sent to now, worked out
        from the rows touched since (`_touch`): a commit that changes one row costs each session
        the same whether it shows 20 rows or 500. None before the page was first sent."""
        extras = self._extras_shown
        if extras is None:
            return None
        touched, self._touched = self._touched, None
        deletes: list[Op] = []
        inserts: list[tuple[int, RowState]] = []
        replaces: list[Op] = []
        for key, (before, after) in (touched or {}).items():
            if after is None:
                if before is not None:
                    deletes.append(Op("delete", Fragment(self.row_id(key), "")))
                continue
            if before is not None and before.sort != after.sort:
                # Its place changed: take it out, put it back after its new predecessor.
                deletes.append(Op("delete", Fragment(self.row_id(key), "")))
                before = None
            if before is None:
                inserts.append((self._index(after), after))
            elif before is not after and before.values != after.values:
                replaces.append(Op("replace", self._row_fragment(renderer, after, None)))
        ops = deletes
        # Top to bottom, each after its predecessor, which is on the page by then.
        inserts.sort(key=lambda found: found[0])
        rows = self.rows
        for index, row in inserts:
            previous = self.row_id(rows[index - 1].key) if index else None
            ops.append(Op("insert", self._row_fragment(renderer, row, previous)))
        ops.extend(replaces)
        empty, more = self._empty(renderer), self._more(renderer)
        if empty.html != extras[0]:
            ops.append(Op("replace", empty))
        if more.html != extras[1]:
            ops.append(Op("replace", more))
        self._extras_shown = (empty.html, more.html)
        return ops

    def mark_shown(self, renderer: Renderer) -> None:
        self._touched = None
        self._extras_shown = (self._empty(renderer).html, self._more(renderer).html)

    def render(self, renderer: Renderer) -> str:
        context = self.context()
        context.update(
            rows=Markup(self._rows(renderer).html),
            empty=Markup(self._empty(renderer).html),
            more=Markup(self._more(renderer).html),
            rows_id=self.rows_id,
        )
        return renderer.env.get_template(self.template).render(**context)

    def context(self) -> dict[str, Any]:
        context = super().context()
        context["state"] = {"count": len(self.rows), "has_more": self.has_more}
        context["view"] = self.view
        context["sort_link"] = self.sort_link
        return context

    def sort_link(self, column: str) -> dict[str, str]:
        """For a column header: `href` (this view sorted by `column`, toggling the direction
        when it already is), `state` for aria-sort (`ascending`, `descending` or `none`)."""
        param = next((p for p in self.view_params if p.role == "sort"), None)
        if param is None:
            return {"href": "", "state": "none"}
        view = self.view
        current = view[param.name]
        if current == column:
            wanted, state = f"-{column}", "ascending"
        elif current == f"-{column}":
            wanted, state = column, "descending"
        else:
            wanted, state = column, "none"
        # A new order starts again at the first page.
        kept = {p.name: view[p.name] for p in self.view_params if p.role != "pages"}
        query = view_query(self.view_params, self.clean_view({**kept, param.name: wanted}))
        return {"href": f"?{query}", "state": state}
