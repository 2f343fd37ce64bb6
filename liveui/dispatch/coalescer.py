"""`Coalescer`: recounts the first commit after a quiet period at once, and merges what follows
into one recompute per window.

A recompute starts a window. Changes that arrive while it runs, or until the window closes, wait
and go into one grouped recompute when both are over, which starts the next window. So a lone
commit is recounted without delay, and a burst of commits still costs one query per counter per
window. At most one recompute runs at a time, so values are broadcast in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from ..histogram import Histogram
from .changes import ChangeSet

__all__ = ["Coalescer"]

log = logging.getLogger("liveui.dispatch")


class Coalescer:
    def __init__(self, window: float, run: Callable[[ChangeSet], Awaitable[object]]) -> None:
        self.window = window
        self._run = run
        self._pending = ChangeSet()
        self._window: asyncio.TimerHandle | None = None  # open since the last recompute started
        self._task: asyncio.Task[None] | None = None
        self._idle: asyncio.Event | None = None
        self.recomputes = 0
        self.failures = 0
        self.durations = Histogram()
        """Seconds each recompute took, queries and broadcasts included."""

    def add(self, changes: ChangeSet) -> None:
        """Queue changes; call on the event loop."""
        self._pending.merge(changes)
        if self._idle is not None:
            self._idle.clear()
        self._start_if_due()

    def _start_if_due(self) -> None:
        if self._window is not None or self._task is not None or not self._pending.has_counters:
            return
        loop = asyncio.get_running_loop()
        if self.window > 0:
            self._window = loop.call_later(self.window, self._window_closed)
        self._task = loop.create_task(self._execute(self._pending.take()))

    def _window_closed(self) -> None:
        self._window = None
        self._start_if_due()

    async def _execute(self, batch: ChangeSet) -> None:
        started = time.perf_counter()
        try:
            self.recomputes += 1
            await self._run(batch)
        except Exception:
            self.failures += 1
            log.exception("liveui.dispatch: a counter recompute failed")
        finally:
            self.durations.observe(time.perf_counter() - started)
            self._task = None
            self._start_if_due()
            if self.idle and self._idle is not None:
                self._idle.set()

    @property
    def idle(self) -> bool:
        """Nothing queued and nothing running (an open window with nothing waiting is idle)."""
        return self._task is None and not self._pending.has_counters

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
        if self._window is not None:
            self._window.cancel()
            self._window = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
