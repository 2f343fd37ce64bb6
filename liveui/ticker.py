"""One shared timer for heartbeats, idle checks and expiries.

Per-connection timers wake 5,000 times for 5,000 connections; this wakes once per interval and
lets each registered check scan what it owns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

__all__ = ["Ticker"]

log = logging.getLogger("liveui")


class Ticker:
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._checks: list[Callable[[float], None]] = []
        self._task: asyncio.Task[None] | None = None

    def add(self, check: Callable[[float], None]) -> None:
        """Run `check(now)` (monotonic seconds) every interval; it must not block."""
        self._checks.append(check)

    def remove(self, check: Callable[[float], None]) -> None:
        with contextlib.suppress(ValueError):
            self._checks.remove(check)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="liveui-ticker")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def tick(self) -> None:
        now = time.monotonic()
        for check in list(self._checks):
            try:
                check(now)
            except Exception:
                log.exception("liveui: a periodic check failed")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.tick()
