"""`HandMadeBroadcasts`: counter values an application sends itself (`broadcast_counter`,
`broadcast_counters`), versioned by the clock the recounts read.

A version orders reads (see `values`): a hand-made value must be newer than every recount whose
read started before it and older than every recount whose read starts after it. Stamped with
the application's clock while PostgreSQL recounts use the database server's, a skewed host would
have its value dropped (clock behind) or hide later recounts (clock ahead). So it reads the same
clock: on one host (SQLite) the process's, at once; on PostgreSQL the server's, one query first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .values import ReadClock, now_version

if TYPE_CHECKING:
    from ..node import Node
    from .broadcaster import Broadcaster
    from .database import Database

__all__ = ["HandMadeBroadcasts"]

log = logging.getLogger("liveui.dispatch")


class HandMadeBroadcasts:
    def __init__(
        self, broadcaster: Broadcaster, database: Database, clock: ReadClock, node: Node
    ) -> None:
        self.broadcaster = broadcaster
        self.database = database
        self.clock = clock
        self.node = node
        self._sending: set[asyncio.Task[None]] = set()
        """Sends waiting for the database clock (kept from the garbage collector)."""

    def send(
        self, topic: str, event: str, build: Callable[[int], Any]
    ) -> asyncio.Future[None] | None:
        """Send `build(version)`. With the process clock: now, returns None. With the database
        clock: returns the task that sends once the clock is read (await it to know it was
        sent); from a thread running no event loop the call waits for it."""
        clock = self.clock
        if clock.column is None or self.broadcaster.busy:
            # (busy: called from inside the broadcast function; the broadcaster refuses the
            # recursion at once, instead of a task re-entering it forever)
            self.broadcaster(topic, event, build(now_version()))
            return None

        async def read_then_send() -> None:
            try:
                version = await self.database.read(clock.read)
            except Exception:
                log.exception("liveui.dispatch: reading the database clock for a hand-made %s "
                              "on %s failed; nothing sent", event, topic)
                return
            self.broadcaster(topic, event, build(version))

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None:
            task = loop.create_task(read_then_send())
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
            return task
        node_loop = self.node.loop
        if node_loop is not None and node_loop.is_running():
            asyncio.run_coroutine_threadsafe(read_then_send(), node_loop).result()
        else:
            asyncio.run(read_then_send())
        return None

    async def wait_sent(self, timeout: float) -> None:
        """Wait for the sends still reading the clock."""
        if self._sending:
            await asyncio.wait(list(self._sending), timeout=timeout)
