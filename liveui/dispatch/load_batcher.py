"""`LoadBatcher`: loads of many users that arrive together go to the database together.

A reconnect storm (a node restarted, thousands of tabs and sockets come back within seconds)
asks for the counters and notifications of each user separately. The batcher starts the first
load after a quiet period on the next event-loop iteration (with whatever else arrived in the
same iteration); loads that arrive while a batch runs wait for it and then go out as the next
batch. So a lone load costs no extra wait, and a storm costs one grouped query per batch
instead of one per user: the batches grow as long as the database takes.

Loads are grouped by a hashable key (what is loaded: which counters, which page size), and
each key's users are loaded by one `load_many(key, users)` call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Generic, TypeVar

__all__ = ["LoadBatcher"]

log = logging.getLogger("liveui.dispatch")

R = TypeVar("R")

LoadMany = Callable[[Hashable, Sequence[Hashable]], Awaitable[Mapping[Hashable, R]]]
"""`(key, users)` -> a result for each user (every user of the batch must be in it)."""


class LoadBatcher(Generic[R]):
    def __init__(self, load_many: LoadMany[R]) -> None:
        self._load_many = load_many
        # key -> user -> the futures of the callers waiting for that user's result
        self._pending: dict[Hashable, dict[Hashable, list[asyncio.Future[R]]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.batches = 0
        """Batches run (one `load_many` call per key in each)."""
        self.loads = 0
        """Loads asked for (a user asked twice in one batch counts twice)."""

    async def load(self, key: Hashable, user: Hashable) -> R:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (tests): nothing pending belongs to it
            self._loop, self._pending, self._task = loop, {}, None
        future: asyncio.Future[R] = loop.create_future()
        self._pending.setdefault(key, {}).setdefault(user, []).append(future)
        self.loads += 1
        if self._task is None:
            self._task = loop.create_task(self._run())
        return await future

    async def _run(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, {}
                self.batches += 1
                await asyncio.gather(*(self._load(key, users) for key, users in batch.items()))
        finally:
            self._task = None

    async def _load(self, key: Hashable, users: dict[Hashable, list[asyncio.Future[R]]]) -> None:
        try:
            results = await self._load_many(key, list(users))
        except Exception as exc:
            for futures in users.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
            return
        for user, futures in users.items():
            for future in futures:
                if not future.done():  # its caller may have gone (a client that left)
                    future.set_result(results[user])
