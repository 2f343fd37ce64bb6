"""`Deadlines`: one timer per loop, armed only while something is watched; each due connection
acts or names its next due time."""

from __future__ import annotations

import asyncio

from liveui._server.http_deadlines import Deadlines, deadlines_of
from tests.support.waiting import wait_until


class Conn:
    def __init__(self, then: list[float | None]) -> None:
        self.then = then  # what to answer at each deadline
        self.calls = 0

    def deadline_passed(self, now: float) -> float | None:
        self.calls += 1
        answer = self.then.pop(0)
        return None if answer is None else now + answer


async def test_due_connections_are_asked_and_the_timer_stops_when_none_is_left() -> None:
    loop = asyncio.get_running_loop()
    deadlines = Deadlines(loop, interval=0.01)
    twice, once, never = Conn([0.02, None]), Conn([None]), Conn([])
    deadlines.watch(twice, loop.time())
    deadlines.watch(once, loop.time())
    deadlines.watch(never, loop.time() + 3600)
    deadlines.unwatch(never)
    await wait_until(lambda: twice.calls == 2 and once.calls == 1, timeout=5)
    assert len(deadlines) == 0 and never.calls == 0
    assert deadlines._timer is None  # nothing watched: no wake-ups


async def test_one_per_loop() -> None:
    loop = asyncio.get_running_loop()
    assert deadlines_of(loop) is deadlines_of(loop)
