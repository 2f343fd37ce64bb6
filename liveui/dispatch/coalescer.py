"""`Coalescer`: gathers committed changes for a short window, then runs one recompute.

At most one recompute runs at a time; changes that arrive meanwhile wait for the next one, so
values are broadcast in order and a burst of commits costs one query per counter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from .changes import ChangeSet

__all__ = ["Coalescer"]

log = logging.getLogger("liveui.dispatch")


class Coalescer:
    def __init__(self, window: float, run: Callable[[ChangeSet], Awaitable[object]]) -> None:
        self.window = window
        self._run = run
        self._pending = ChangeSet()
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._idle: asyncio.Event | None = None
        self.recomputes = 0

    def add(self, changes: ChangeSet) -> None:
        """Queue changes; call on the event loop."""
        self._pending.merge(changes)
        if self._idle is not None:
            self._idle.clear()
        self._schedule()

    def _schedule(self) -> None:
        if self._timer is not None or self._task is not None or not self._pending.has_counters:
            return
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self.window, self._fire)

    def _fire(self) -> None:
        self._timer = None
        batch = self._pending.take_counters()
        self._task = asyncio.get_running_loop().create_task(self._execute(batch))

    async def _execute(self, batch: ChangeSet) -> None:
        try:
            self.recomputes += 1
            await self._run(batch)
        except Exception:
            log.exception("liveui.dispatch: a counter recompute failed")
        finally:
            self._task = None
            self._schedule()
            if self.idle and self._idle is not None:
                self._idle.set()

    @property
    def idle(self) -> bool:
        return self._timer is None and self._task is None and not self._pending.has_counters

    async def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait until every queued change has been recomputed and broadcast."""
        if self.idle:
            return
        if self._idle is None:
            self._idle = asyncio.Event()
        self._idle.clear()
        async with asyncio.timeout(timeout):
            while not self.idle:
                await self._idle.wait()
                if not self.idle:
                    self._idle.clear()

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
