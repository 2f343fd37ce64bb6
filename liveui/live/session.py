"""`LiveSession`: the server-side state of one tab's live components.

It subscribes to its components' topics, feeds each broadcast to the components that listen to
it, re-renders only those whose state changed and appends the fragments that differ from what
this tab already has to its outbox, as htmx out-of-band swaps. Its open connections (usually
one, a duplicated tab may share it) write the outbox out.

Order on (re)connect, so a page rendered at T and connected at T+d misses nothing in between:
subscribe, then mount from the database, then apply what arrived meanwhile (components compare
versions, so a late event cannot roll a value back).

A hidden tab pauses its session (`pause`): it stays subscribed and its components keep their
state, but nothing is rendered; the components that changed are remembered, and `resume`
re-renders them — or reloads them from the database, those whose state is not kept while
paused (`LiveComponent.reload_on_resume`) — so the tab shown again has no stale value.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import enum
import inspect
import itertools
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..close_codes import CloseCode
from ..pubsub.broadcast import Broadcast
from ..row_events import ROWS_CHANGED, ROWS_READ, ROWS_UNREAD
from .client_events import client_event_html
from .component import LiveComponent
from .fragment import Fragment, Op, joined, render_ops
from .live_connection import Fresh, LiveConnection, Outgoing
from .live_stats import LiveStats
from .outbox import Outbox
from .patch_flusher import PatchFlusher

if TYPE_CHECKING:
    from ..auth.claims import AuthClaims
    from ..pubsub.hub import Hub
    from .context import LiveContext
    from .live_settings import LiveSettings
    from .render import Renderer

__all__ = ["LiveSession"]

log = logging.getLogger("liveui.live")


class Stale(enum.IntFlag):
    """What a paused session owes a component on resume; no flag: a re-render."""

    RENDER = 0
    FULL = 1
    """The page's copy is unknown: send every fragment, not only those that differ."""
    RELOAD = 2
    """Its state missed broadcasts: mount it from the database first."""


class LiveSession:
    # Thousands per node: no instance dict.
    __slots__ = (
        "__weakref__", "_awaited", "_awaiting_rows", "_busy", "_inbox", "_listeners", "_lock",
        "_make_context", "_owned", "_per_tab", "_queued", "_sent", "_stale", "_tasks", "auth",
        "closed", "components", "connections", "flusher", "hub", "outbox", "paused",
        "renderer", "session_id", "settings", "shareable", "stats", "tabs", "user_id",
        "verified_at",
    )

    def __init__(
        self,
        user_id: Any,
        session_id: str,
        components: Iterable[LiveComponent],
        *,
        hub: Hub,
        renderer: Renderer,
        settings: LiveSettings,
        make_context: Callable[[Any, LiveSession | None], LiveContext],
        auth: AuthClaims | None = None,
        stats: LiveStats | None = None,
        flusher: PatchFlusher | None = None,
    ) -> None:
        self.user_id = user_id
        self.session_id = session_id
        self.auth = auth
        """The login this page belongs to: its revocation closes the session."""
        self.components: dict[str, LiveComponent] = {c.id: c for c in components}
        self.hub = hub
        self.renderer = renderer
        self.settings = settings
        self._make_context = make_context
        self.stats = stats if stats is not None else LiveStats()
        self.outbox = Outbox(settings.replay_buffer)
        self.connections: dict[LiveConnection, None] = {}
        """The open connections, in the order they came (a dict: removing one of thousands in
        a shared session costs no scan)."""
        self._per_tab: dict[str, int] = {}
        """Open connections per tab id."""
        self.tabs: dict[str, float | None] = {session_id: time.monotonic()}
        """The pages (tab ids) this session serves -> since when none of their connections is
        open (None: one is). Usually one; more while tabs showing the same page share it."""
        self.shareable = True
        """Other tabs of the same page may join it: nothing was done to it for one tab only
        (an action, a view change, a pause: `SessionRegistry.own`)."""
        self.verified_at = time.monotonic()
        self.closed = False
        # Per fragment id, the HTML the page shows: the render cache's shared string (a reference,
        # not a copy or a digest object per tab; equal strings compare by identity first).
        self._sent: dict[str, str] = {}
        # Per component, the fragment ids it showed last (tuples: a set costs ~4x the memory).
        self._owned: dict[str, tuple[str, ...]] = {}
        self._listeners: dict[str, list[LiveComponent]] = {}
        # Made when first needed: most sessions never queue a broadcast nor await a component,
        # and an empty deque alone is ~600 bytes, thousands of times over.
        self._inbox: deque[Broadcast] | None = None
        self._busy = 0
        self._tasks: set[asyncio.Future[None]] | None = None
        self._lock = asyncio.Lock()
        self.paused = False
        """The tab is hidden: nothing is rendered, what changed is remembered (`resume`)."""
        self._stale: dict[str, Stale] | None = None  # while paused: component id -> what it owes
        self.flusher = flusher if flusher is not None else PatchFlusher()
        # This loop turn's patches, written as one by the flusher (`flush`); None: nothing queued.
        self._queued: list[tuple[str, str | None]] | None = None
        self._awaiting_rows = 0.0
        """Since when a commit's changed rows this tab shows are awaited (0.0: none): its
        patches wait for the read of them."""
        self._awaited: dict[str, int] | None = None  # collection topic -> the read awaited

    # lifecycle -------------------------------------------------------------------------------
    async def start(self, etags: Mapping[str, str | None] | None = None) -> None:
        """Subscribe, mount every component, then send what the page does not already show."""
        etags = etags or {}
        hub = self.hub
        for component in self.components.values():
            for topic in component.topics(self.user_id):
                listeners = self._listeners.setdefault(topic, [])
                if not listeners:
                    hub.subscribe(topic, self)
                listeners.append(component)

        def send(component: LiveComponent) -> None:
            if etags.get(component.id) == component.etag():
                self._seed(component)  # the page already shows exactly this
            else:
                self._push_full(component)

        await self._remount(send)

    async def resync(self, *, full: bool = True) -> None:
        """Reload everything from the database and re-render it.

        `full`: the page's copy is unknown (a reconnect that could not replay), so every fragment
        is sent. Otherwise the page is current up to this session's last patch (a pub/sub outage
        lost broadcasts, never patches), so only the fragments that changed are sent.

        A paused session loads nothing now: every component is reloaded when it resumes.
        """
        if self.paused:
            owed = Stale.RELOAD | (Stale.FULL if full else Stale.RENDER)
            for component_id in self.components:
                self._owe(component_id, owed)
            return
        await self._remount(self._push_full if full else self.push)

    async def verify_held(self, ctx: LiveContext | None = None) -> list[str]:
        """Anti-entropy, for a session already `held()`: reload every component from the
        database and compare its state digest (`etag`) with what the page shows; re-render and
        send only the ones that drifted. Returns their ids (empty when the page was right).
        Sessions of one user may share `ctx` (one load for all): hold them all before the load,
        so that no broadcast lands in one of them between the load and its turn — the load,
        older than that broadcast, would roll it back. Their broadcasts are applied when they
        are let go, newest value winning (`SessionRegistry.verify`)."""
        drifted: list[str] = []
        before = {cid: c.etag() for cid, c in self.components.items()}

        def send(component: LiveComponent) -> None:
            if component.etag() != before.get(component.id):
                drifted.append(component.id)
                self.push(component)

        await self._mount_all(send, ctx)
        self.verified_at = time.monotonic()
        return drifted

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """While held, broadcasts wait in the session's inbox (a reload from the database is
        under way); they are applied, in order, when it is let go."""
        async with self._lock:
            self._busy += 1
            try:
                yield
            finally:
                self._busy -= 1
        self._drain()

    async def _remount(
        self,
        send: Callable[[LiveComponent], None],
        ctx: LiveContext | None = None,
        only: list[LiveComponent] | None = None,
    ) -> None:
        async with self.held():
            await self._mount_all(send, ctx, only)

    async def _mount_all(
        self,
        send: Callable[[LiveComponent], None],
        ctx: LiveContext | None = None,
        only: list[LiveComponent] | None = None,
    ) -> None:
        if ctx is None:
            ctx = self._make_context(self.user_id, self)
        components = list(self.components.values()) if only is None else only
        await asyncio.gather(*(c.mount(ctx) for c in components))
        for component in components:
            send(component)

    async def replace(self, old: LiveComponent, new: LiveComponent) -> None:
        """Swap `new` in for `old` (same id: a new view of it, docs/view-params.md): mount it,
        move its subscriptions, and replace the whole element on the page, so the page's spec
        (its params) is the new one from then on. Broadcasts arriving meanwhile wait and are
        applied to `new` after the swap."""
        if new.id != old.id:
            raise ValueError("liveui: a component can only be replaced by one of the same id")
        async with self.held():
            await new.mount(self._make_context(self.user_id, self))
            if self.closed or self.components.get(old.id) is not old:
                return  # closed, or replaced by a newer view meanwhile
            self.components[new.id] = new
            self._resubscribe(old, new)
            html = new.render(self.renderer)
            started = 0.0 if self.stats.observer is None else time.perf_counter()
            self._emit([Op("replace", Fragment(new.id, html))], new.id, started)
            self._seed(new)

    def _resubscribe(self, old: LiveComponent, new: LiveComponent) -> None:
        hub = self.hub
        for topic in old.topics(self.user_id):
            listeners = self._listeners.get(topic, [])
            if old in listeners:
                listeners.remove(old)
            if not listeners:
                self._listeners.pop(topic, None)
                hub.unsubscribe(topic, self)
        for topic in new.topics(self.user_id):
            listeners = self._listeners.setdefault(topic, [])
            if not listeners:
                hub.subscribe(topic, self)
            listeners.append(new)

    def attach(self, cursor: int, tab: str | None = None) -> LiveConnection:
        """A connection of page `tab` (default: the page that opened the session) reading the
        outbox from `cursor`."""
        tab = self.session_id if tab is None else tab
        connection = LiveConnection(self, cursor, max_pending=self.settings.max_pending, tab=tab)
        self._add(connection)
        self.tabs[tab] = None
        over = self._per_tab[tab] - self.settings.max_connections_per_session
        if over > 0:  # a duplicated tab: its oldest connections make way
            for oldest in [c for c in self.connections if c.tab == tab][:over]:
                self._remove(oldest)
                oldest.close("replaced by a newer connection of the same page")
        return connection

    def _add(self, connection: LiveConnection) -> None:
        self.connections[connection] = None
        self._per_tab[connection.tab] = self._per_tab.get(connection.tab, 0) + 1

    def _remove(self, connection: LiveConnection) -> None:
        if self.connections.pop(connection, False) is None:  # it was there
            left = self._per_tab[connection.tab] - 1
            if left:
                self._per_tab[connection.tab] = left
            else:
                del self._per_tab[connection.tab]

    def detach(self, connection: LiveConnection) -> None:
        self._remove(connection)
        tab = connection.tab
        if tab in self.tabs and tab not in self._per_tab:
            self.tabs[tab] = time.monotonic()  # its grace period starts (`SessionRegistry.check`)

    def shows(self, components: list[tuple[LiveComponent, str | None]]) -> bool:
        """Whether a page of the same components (the registry's page key says so: same
        types, params and order), each with the etag it was rendered at, shows exactly what
        this session does, and nothing is under way that the page could not follow: it may
        then join."""
        if not self.shareable or self.closed or self.paused or self._busy or self._queued:
            return False
        mine = self.components
        for component, etag in components:
            held = mine.get(component.id)
            if etag is None or held is None or held.etag() != etag:
                return False
        return True

    def hand_over(self, tab: str, to: LiveSession) -> None:
        """Move page `tab`'s connections to `to`, with the patches they have not written yet
        (renumbered in `to`'s outbox), and forget the tab here."""
        since = self.tabs.pop(tab, None)
        moving = [c for c in self.connections if c.tab == tab]
        if not moving:
            to.tabs[tab] = since if since is not None else time.monotonic()
            return
        start = min(c.cursor for c in moving)
        renumbered = [(seq, to.outbox.append(text)) for seq, text in self.outbox.after(start)]
        for connection in moving:
            self._remove(connection)
            connection.cursor = max(
                (new for old, new in renumbered if old <= connection.cursor), default=0
            )
            connection.session = to
            to._add(connection)
        to.tabs[tab] = None
        for connection in moving:
            connection.wake()

    def close_tab(self, tab: str, reason: str, code: CloseCode) -> None:
        """Close page `tab`'s connections and forget it (the others go on)."""
        self.tabs.pop(tab, None)
        for connection in [c for c in self.connections if c.tab == tab]:
            self._remove(connection)
            connection.close(reason, code)

    def close(self, reason: str = "session closed", code: CloseCode = CloseCode.TRY_AGAIN) -> None:
        if self.closed:
            return
        self.closed = True
        self._queued = None
        for topic in self._listeners:
            self.hub.unsubscribe(topic, self)
        self._listeners.clear()
        for connection in list(self.connections):
            connection.close(reason, code)

    # pause -----------------------------------------------------------------------------------
    def pause(self) -> bool:
        """Stop rendering for this tab (it is hidden); False if it was already paused or is
        closed. Patches already in the outbox are still written: they were current when made."""
        if self.paused or self.closed:
            return False
        self.paused = True
        return True

    async def resume(self) -> bool:
        """Render again, starting with what changed while paused: components whose state was
        kept are re-rendered from it at once, the others (`reload_on_resume`, or all of them
        after a resync) are mounted from the database first. False if it was not paused."""
        if not self.paused:
            return False
        self.paused = False
        stale, self._stale = self._stale, None
        if not stale or self.closed:
            return True
        reload: list[LiveComponent] = []
        full: set[str] = set()
        for component_id, owed in stale.items():
            component = self.components[component_id]
            if owed & Stale.FULL:
                full.add(component_id)
            if owed & Stale.RELOAD:
                reload.append(component)
            elif owed & Stale.FULL:
                self._push_full(component)
            else:
                self.push(component)
        if reload:
            # Broadcasts arriving during the load wait in the inbox and are applied after it
            # (versions keep a late one from rolling a value back).
            def send(component: LiveComponent) -> None:
                if component.id in full:
                    self._push_full(component)
                else:
                    self.push(component)

            await self._remount(send, only=reload)
        return True

    def _owe(self, component_id: str, owed: Stale) -> None:
        stale = self._stale
        if stale is None:
            stale = self._stale = {}
        stale[component_id] = stale.get(component_id, Stale.RENDER) | owed

    # events ----------------------------------------------------------------------------------
    def deliver(self, message: Broadcast) -> None:
        """Called by the hub on the event loop; never blocks."""
        if self.closed:
            return
        if self._busy:
            if self._inbox is None:
                self._inbox = deque()
            self._inbox.append(message)
            return
        self._apply(message)

    def _apply(self, message: Broadcast) -> None:
        paused = self.paused
        listeners = self._listeners.get(message.topic, ())
        event = message.event
        if event == ROWS_CHANGED:
            if not paused:
                awaited = max([c.awaited_read(message) for c in listeners], default=0)
                if awaited:  # this commit's patches wait for the read that covers it
                    if not self._awaiting_rows:
                        self._awaiting_rows = time.monotonic()
                    reads = self._awaited
                    if reads is None:
                        reads = self._awaited = {}
                    reads[message.topic] = max(reads.get(message.topic, 0), awaited)
        elif event in (ROWS_READ, ROWS_UNREAD) and self._awaiting_rows:
            reads = self._awaited
            if reads is not None:
                covers = message.payload.covers if event == ROWS_READ else None
                if covers is None or covers >= reads.get(message.topic, 0):
                    reads.pop(message.topic, None)  # a failed read releases what it would cover
            if not reads:
                self._awaiting_rows, self._awaited = 0.0, None
                if self._queued is not None:
                    self.flusher.mark(self)
        for component in listeners:
            if paused and component.reload_on_resume:
                self._owe(component.id, Stale.RELOAD)  # its state is reloaded on resume
                continue
            try:
                result = component.handle_info(message)
            except Exception:
                name = type(component).__name__
                log.exception("liveui: %s.handle_info failed on %r", name, message)
                continue
            if result is False:  # the common answer, decided before the costlier checks
                continue
            if result is True:
                self.push(component)
            elif inspect.isawaitable(result):
                self._busy += 1
                task = asyncio.ensure_future(self._finish(component, result))
                if self._tasks is None:
                    self._tasks = set()
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            elif result:
                self.push(component)

    async def _finish(self, component: LiveComponent, result: Awaitable[bool]) -> None:
        try:
            if await result:
                self.push(component)
        except Exception:
            log.exception("liveui: %s.handle_info failed", type(component).__name__)
        finally:
            self._busy -= 1
            self._drain()

    def _drain(self) -> None:
        inbox = self._inbox
        if inbox is None:
            return
        while inbox and not self._busy:
            self._apply(inbox.popleft())
        if not inbox and self._inbox is inbox:
            self._inbox = None

    # patches ---------------------------------------------------------------------------------
    def push(self, component: LiveComponent) -> None:
        """Re-render `component` and send the fragments that changed since the last send."""
        if self.closed:
            return
        if self.components.get(component.id) is not component:
            return  # replaced by a new view of it (a late reading of the old one)
        if self.paused:
            self._owe(component.id, Stale.RENDER)
            return
        started = 0.0 if self.stats.observer is None else time.perf_counter()
        renderer = self.renderer
        if component.tracks_changes:  # it knows what changed (a collection's rows): no diff
            tracked = component.changed_ops(renderer)
            if tracked is not None:
                self._emit(tracked, component.id, started)
                return
        fragments = component.fragments(renderer)
        sent = self._sent
        if len(fragments) == 1:  # a badge: one element, shown before, replaced in place
            only = fragments[0]
            if only.container is None and self._owned.get(component.id) == (only.id,):
                digest = only.html
                if sent.get(only.id) != digest:
                    sent[only.id] = digest
                    self._emit([Op("replace", only)], component.id, started)
                return
        ops: list[Op] = []
        inserts: list[Op] = []
        moves: list[Op] = []
        ids = [fragment.id for fragment in fragments]
        owned = self._owned.get(component.id, ())
        moved = _moved(owned, ids) if len(ids) > 1 and len(owned) > 1 else ()
        for fragment in fragments:
            digest = fragment.html
            previous = sent.get(fragment.id)
            if fragment.id in moved and fragment.container is not None:
                # Its place changed (a row re-ordered): take it out, put it back where it goes.
                sent[fragment.id] = digest
                moves.append(Op("delete", fragment))
                inserts.append(Op("insert", fragment))
                continue
            if previous == digest:
                continue
            sent[fragment.id] = digest
            if previous is None and fragment.container is not None:
                inserts.append(Op("insert", fragment))
            else:
                ops.append(Op("replace", fragment))
        for gone in _gone(owned, ids):
            sent.pop(gone, None)
            ops.append(Op("delete", Fragment(gone, "")))
        self._owned[component.id] = _shared_ids(ids)
        # Fragments are listed top to bottom; inserting each at the top reverses them.
        top = [op for op in inserts if op.fragment.position == "afterbegin"]
        bottom = [op for op in inserts if op.fragment.position != "afterbegin"]
        self._emit([*moves, *reversed(top), *bottom, *ops], component.id, started)

    def push_event(self, event: str, payload: Any = None) -> None:
        """Send `event` with a JSON `payload` to this tab's client hooks (`client_events`)."""
        if self.closed:
            return
        self._queue(client_event_html(event, payload), None)

    def _push_full(self, component: LiveComponent) -> None:
        if self.paused:
            self._owe(component.id, Stale.FULL)
            return
        started = 0.0 if self.stats.observer is None else time.perf_counter()
        renderer = self.renderer
        if component.view_params:
            # The page may show another view than this session's (it missed the swap): the
            # whole element, so its spec and its controls' state follow the session's view.
            ops = [Op("replace", Fragment(component.id, component.render(renderer)))]
        else:
            ops = [Op("replace", f) for f in component.full_fragments(renderer)]
        self._emit(ops, component.id, started)
        self._seed(component)

    def _seed(self, component: LiveComponent) -> None:
        """Record that the page shows `component` exactly as it renders now."""
        if component.tracks_changes:
            component.mark_shown(self.renderer)  # it tracks its own changes from here
            return
        ids: list[str] = []
        for fragment in component.fragments(self.renderer):
            self._sent[fragment.id] = fragment.html
            ids.append(fragment.id)
        for gone in _gone(self._owned.get(component.id, ()), ids):
            self._sent.pop(gone, None)
        self._owned[component.id] = _shared_ids(ids)

    def _emit(self, ops: list[Op], component_id: str, started: float) -> None:
        if not ops:
            return
        single = ops[0].fragment.id if len(ops) == 1 and ops[0].kind == "replace" else None
        text = render_ops(ops)
        stats = self.stats
        stats.patches += 1
        stats.patch_bytes += len(text)
        if stats.observer is not None:
            stats.observer(self, component_id, len(text), time.perf_counter() - started)
        self._queue(text, single)

    def _queue(self, text: str, coalesce_key: str | None) -> None:
        """Queue `text` for this loop turn's patch (`flush`). A newer value of an element
        already queued alone (`coalesce_key`) takes the place of the older one."""
        queued = self._queued
        if queued is None:
            self._queued = [(text, coalesce_key)]
            self.flusher.mark(self)
            return
        if coalesce_key is not None:
            for i, (_, key) in enumerate(queued):
                if key == coalesce_key:
                    del queued[i]
                    break
        queued.append((text, coalesce_key))

    def flush(self) -> bool:
        """Write what this loop turn queued as one patch and wake the connections; False (and
        nothing written) while a row read this tab waits for is still coming."""
        queued = self._queued
        if queued is None or self.closed:
            return True
        if self._awaiting_rows:
            return False
        self._queued = None
        if len(queued) == 1:
            # One element replaced: a newer value of it supersedes this one in the outbox.
            text, key = queued[0]
        else:
            text, key = joined(tuple(text for text, _ in queued)), None
        seq = self.outbox.append(text, key)
        self.stats.writes += 1
        connections = self.connections
        if connections:
            item = Outgoing("patch", self.outbox.event_id(seq), text)
            fresh = Fresh(seq, [item], time.monotonic())
            for connection in list(connections):
                connection.wake(fresh)
        return True

    def has_unsent(self) -> bool:
        """Patches are queued and not yet in the outbox (waiting for a row read)."""
        return self._queued is not None

    def held_since(self) -> float:
        return self._awaiting_rows

    def release(self) -> None:
        """Stop waiting for a row read (it is late) and write what is queued."""
        self._awaiting_rows, self._awaited = 0.0, None
        self.flush()

    def __repr__(self) -> str:
        return f"LiveSession(user={self.user_id!r}, id={self.session_id!r})"


_ID_TUPLES: dict[tuple[str, ...], tuple[str, ...]] = {}
_ID_TUPLES_KEPT = 4096


def _shared_ids(ids: list[str]) -> tuple[str, ...]:
    """`ids` as a tuple, one for every session whose component shows the same fragments (every
    tab of a page has the same ids): read only, never changed in place."""
    key = tuple(ids)
    found = _ID_TUPLES.get(key)
    if found is None:
        if len(_ID_TUPLES) >= _ID_TUPLES_KEPT:
            del _ID_TUPLES[next(iter(_ID_TUPLES))]
        found = _ID_TUPLES[key] = key
    return found


def _gone(before: tuple[str, ...], now: list[str]) -> list[str]:
    """The ids in `before` that are not in `now`."""
    if not before:
        return []
    present = set(now)
    return [i for i in before if i not in present]


def _moved(before: tuple[str, ...], now: list[str]) -> frozenset[str]:
    """Ids present before and now whose order relative to the others changed: everything
    outside a longest run kept in the same order (so the fewest elements move)."""
    position = {element_id: i for i, element_id in enumerate(before)}
    kept = [element_id for element_id in now if element_id in position]
    order = [position[element_id] for element_id in kept]
    if all(a < b for a, b in itertools.pairwise(order)):
        return frozenset()
    # Longest increasing subsequence of the old positions, in patience-sorting time.
    tails: list[int] = []
    tails_at: list[int] = []
    parent = [-1] * len(order)
    for i, value in enumerate(order):
        j = bisect.bisect_left(tails, value)
        if j == len(tails):
            tails.append(value)
            tails_at.append(i)
        else:
            tails[j] = value
            tails_at[j] = i
        parent[i] = tails_at[j - 1] if j else -1
    stay: set[int] = set()
    i = tails_at[-1]
    while i != -1:
        stay.add(i)
        i = parent[i]
    return frozenset(element_id for i, element_id in enumerate(kept) if i not in stay)
