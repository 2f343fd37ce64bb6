"""`CollectionFeed`: one per node, it turns `rows_changed` into one shared read of the rows.

Dispatch announces changed primary keys on `collection:<name>`; the feed (subscribed to the
collections this node shows) re-reads those keys with one query per distinct view of the
collection shown on this node (filters, search and sort: docs/view-params.md) — however many
sessions show it — and hands the same `RowsRead` to every local subscriber of the topic as
`rows_read`, on this node only. Each session's `LiveCollection` keeps the read of its own view,
and of it what its user may see.

Which views are shown: every mounted collection registers its view with the component itself,
held weakly, so a view nobody shows any more (its sessions closed) costs no more reads.

Bursts coalesce: while a read runs, newly announced keys wait and go into the next read, so a
collection never has more than one read in flight and reads are applied in the order they
started (later reads saw later snapshots, and carry higher versions).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..pubsub.broadcast import Broadcast
from ..row_events import (
    DEFAULT_VIEW,
    ROWS_CHANGED,
    ROWS_READ,
    ROWS_UNREAD,
    CollectionsSource,
    RowsRead,
    View,
    collection_of,
    collection_topic,
    read_rows_changed,
)

if TYPE_CHECKING:
    from ..pubsub.hub import Hub

__all__ = ["CollectionFeed"]

log = logging.getLogger("liveui.live")

_NUMBER = "liveui.rows_changed_number"


class CollectionFeed:
    def __init__(self, hub: Hub, source: Callable[[], CollectionsSource | None]) -> None:
        self.hub = hub
        self._source = source
        self._watched: set[str] = set()
        self._views: dict[str, dict[View, weakref.WeakSet[Any] | None]] = {}
        self._pending: dict[str, set[Any]] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        self.reads = 0
        """Shared reads made so far (one per collection and view per batch of commits)."""
        self._announced: dict[str, int] = {}

    def number(self, message: Broadcast) -> int:
        """The number of this `rows_changed` among its collection's (from 1, in arrival order,
        the same for every caller): a read with `covers` at least this includes its keys."""
        return int(message.frame(_NUMBER, self._next_number))

    def _next_number(self, message: Broadcast) -> int:
        name = message.topic
        n = self._announced.get(name, 0) + 1
        self._announced[name] = n
        return n

    def watch(self, name: str, view: View = DEFAULT_VIEW, shown_by: Any = None) -> None:
        """Follow `collection:<name>` in `view` (idempotent): called when a component of it
        mounts. `shown_by` (held weakly): the view is read while it lives; None: always."""
        if name not in self._watched:
            self._watched.add(name)
            self.hub.subscribe(collection_topic(name), self)
        views = self._views.setdefault(name, {})
        if shown_by is None:
            views[view] = None
            return
        holders = views.get(view, ...)
        if holders is None:
            return  # read always
        if holders is ...:
            holders = views[view] = weakref.WeakSet()
        holders.add(shown_by)

    def views(self, name: str) -> list[View]:
        """The views of `name` shown on this node now (those no component shows are forgotten)."""
        views = self._views.get(name, {})
        for view in [v for v, holders in views.items() if holders is not None and not holders]:
            del views[view]
        return list(views)

    def deliver(self, message: Broadcast) -> None:
        if message.event != ROWS_CHANGED:
            return
        self.number(message)  # numbered before its keys wait: the read that takes them covers it
        name = collection_of(message.topic)
        keys = read_rows_changed(message.payload)
        if name is None or not keys:
            return
        if self.hub.subscriber_count(message.topic) <= 1:
            return  # only the feed itself listens: no session shows this collection now
        self._pending.setdefault(name, set()).update(keys)
        if name not in self._running:
            task = asyncio.get_running_loop().create_task(self._read(name))
            self._running[name] = task

    async def _read(self, name: str) -> None:
        try:
            await asyncio.sleep(0)  # let the commits of this loop turn add their keys
            while self._pending.get(name):
                keys = self._pending.pop(name)
                covers = self._announced.get(collection_topic(name), 0)
                source = self._source()
                if source is None:
                    return
                wanted = sorted(keys, key=str)
                views = self.views(name) or [DEFAULT_VIEW]
                reads = await asyncio.gather(
                    *(source.load_keys(name, wanted, view) for view in views),
                    return_exceptions=True,
                )
                topic = collection_topic(name)
                for view, read in zip(views, reads, strict=True):
                    if not isinstance(read, RowsRead):
                        # The sessions keep what they show; anti-entropy repairs them later.
                        log.error("liveui: re-reading %d row(s) of %r in %r failed", len(keys),
                                  name, view, exc_info=read)
                        self.hub.deliver_local(Broadcast(topic, ROWS_UNREAD, view))
                        continue
                    self.reads += 1
                    read = dataclasses.replace(read, covers=covers)
                    self.hub.deliver_local(Broadcast(topic, ROWS_READ, read))
        finally:
            self._running.pop(name, None)

    async def idle(self) -> None:
        """Wait until every announced change has been read and handed to the sessions."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def stop(self) -> None:
        for task in list(self._running.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for name in self._watched:
            self.hub.unsubscribe(collection_topic(name), self)
        self._watched.clear()
        self._views.clear()
        self._pending.clear()
