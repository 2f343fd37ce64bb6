"""`CollectionFeed`: one per node, it turns `rows_changed` into one shared read of the rows.

Dispatch announces changed primary keys on `collection:<name>`; the feed (subscribed to the
collections this node shows) re-reads those keys with one query per collection — however many
sessions show it — and hands the same `RowsRead` to every local subscriber of the topic as
`rows_read`, on this node only. Each session's `LiveCollection` then keeps what its user may see.

Bursts coalesce: while a read runs, newly announced keys wait and go into the next read, so a
collection never has more than one read in flight and reads are applied in the order they
started (later reads saw later snapshots, and carry higher versions).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..pubsub.broadcast import Broadcast
from ..row_events import (
    ROWS_CHANGED,
    ROWS_READ,
    CollectionsSource,
    collection_of,
    collection_topic,
    read_rows_changed,
)

if TYPE_CHECKING:
    from ..pubsub.hub import Hub

__all__ = ["CollectionFeed"]

log = logging.getLogger("liveui.live")


class CollectionFeed:
    def __init__(self, hub: Hub, source: Callable[[], CollectionsSource | None]) -> None:
        self.hub = hub
        self._source = source
        self._watched: set[str] = set()
        self._pending: dict[str, set[Any]] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        self.reads = 0
        """Shared reads made so far (one per collection per batch of commits)."""

    def watch(self, name: str) -> None:
        """Follow `collection:<name>` (idempotent): called when a component of it mounts."""
        if name not in self._watched:
            self._watched.add(name)
            self.hub.subscribe(collection_topic(name), self)

    def deliver(self, message: Broadcast) -> None:
        if message.event != ROWS_CHANGED:
            return
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
                source = self._source()
                if source is None:
                    return
                try:
                    read = await source.load_keys(name, sorted(keys, key=str))
                except Exception:
                    # The sessions keep what they show; anti-entropy repairs them later.
                    log.exception("liveui: re-reading %d row(s) of %r failed", len(keys), name)
                    continue
                self.reads += 1
                self.hub.deliver_local(Broadcast(collection_topic(name), ROWS_READ, read))
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
        self._pending.clear()
