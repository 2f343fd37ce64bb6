"""`Deadlines`: one timer per event loop for every connection still sending its request.

A timer per connection would be a `TimerHandle` made and cancelled for each request. Here each
watched connection has one due time in a dict; a single `call_later` wakes every `interval`
seconds while the dict is not empty and asks each connection that is due what to do (it acts,
or names its next due time). It also counts, per client address, the connections whose first
request has not yet arrived (`HttpLimits.max_pending_per_address`).
"""

from __future__ import annotations

import asyncio
import weakref
from collections import Counter
from typing import Protocol

__all__ = ["Deadlines", "Watched", "deadlines_of"]


class Watched(Protocol):
    def deadline_passed(self, now: float) -> float | None:
        """Act on the passed deadline, or return the next one (loop time) to keep watching."""


class Deadlines:
    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float = 0.5) -> None:
        self.loop = loop
        self.interval = interval
        self.pending: Counter[str] = Counter()
        self._due: dict[Watched, float] = {}
        self._timer: asyncio.TimerHandle | None = None

    def __len__(self) -> int:
        return len(self._due)

    def watch(self, conn: Watched, due: float) -> None:
        self._due[conn] = due
        if self._timer is None:
            self._timer = self.loop.call_later(self.interval, self._sweep)

    def unwatch(self, conn: Watched) -> None:
        self._due.pop(conn, None)

    def _sweep(self) -> None:
        self._timer = None
        now = self.loop.time()
        for conn in [c for c, due in self._due.items() if due <= now]:
            next_due = conn.deadline_passed(now)
            if next_due is None:
                self._due.pop(conn, None)
            else:
                self._due[conn] = next_due
        if self._due:
            self._timer = self.loop.call_later(self.interval, self._sweep)


_OF_LOOP: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Deadlines] = (
    weakref.WeakKeyDictionary()
)


def deadlines_of(loop: asyncio.AbstractEventLoop) -> Deadlines:
    """The loop's one `Deadlines` (servers in threads each have their own loop)."""
    found = _OF_LOOP.get(loop)
    if found is None:
        found = _OF_LOOP[loop] = Deadlines(loop)
    return found
