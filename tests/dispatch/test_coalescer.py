"""The coalescer's timing contract: a lone change is recounted at once, a burst costs one grouped
recount per window, and `wait_idle` waits for everything queued. Windows here are long (seconds)
so that "at once" versus "after the window" cannot be confused on a loaded machine."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from liveui.dispatch.changes import ChangeSet
from liveui.dispatch.coalescer import Coalescer


def touched(*owners: int) -> ChangeSet:
    changes = ChangeSet()
    for owner in owners:
        changes.touch("pending_orders", owner)
    return changes


class Recorder:
    """The recompute the coalescer drives: records each batch; can be held open by a gate."""

    def __init__(self) -> None:
        self.batches: list[set[Any]] = []
        self.started = asyncio.Event()
        self.gate: asyncio.Event | None = None
        self.finished = 0

    async def __call__(self, batch: ChangeSet) -> None:
        self.batches.append(set(batch.owners.get("pending_orders", set())))
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        self.finished += 1


async def until(condition: Any, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


async def test_a_lone_change_is_recounted_without_waiting_for_the_window() -> None:
    run = Recorder()
    coalescer = Coalescer(30.0, run)
    try:
        coalescer.add(touched(1))
        await until(lambda: run.batches, timeout=2.0)  # a trailing window would take 30 s
        assert run.batches == [{1}]
        await coalescer.wait_idle(timeout=2.0)  # an open window with nothing waiting is idle
    finally:
        await coalescer.close()


async def test_a_burst_costs_one_grouped_recount_per_window() -> None:
    window = 0.6
    run = Recorder()
    run.gate = asyncio.Event()
    coalescer = Coalescer(window, run)
    try:
        started = time.monotonic()
        coalescer.add(touched(1))
        await asyncio.wait_for(run.started.wait(), 2.0)
        coalescer.add(touched(2))  # during the recount
        run.gate.set()
        await until(lambda: run.finished == 1, timeout=2.0)
        coalescer.add(touched(3))  # after it, still within the window
        coalescer.add(touched(2, 4))
        assert run.batches == [{1}], "nothing more runs before the window closes"
        await coalescer.wait_idle(timeout=5.0)
        assert run.batches == [{1}, {2, 3, 4}]
        assert time.monotonic() - started >= window
        assert coalescer.recomputes == 2

        # A quiet period (a whole window with nothing new): the next change goes at once again.
        await asyncio.sleep(window * 2)
        coalescer.add(touched(5))
        await until(lambda: len(run.batches) == 3, timeout=window * 0.9)
        assert run.batches[-1] == {5}
    finally:
        await coalescer.close()


async def test_a_failed_recount_is_logged_and_the_next_one_still_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[set[Any]] = []

    async def flaky(batch: ChangeSet) -> None:
        calls.append(set(batch.owners["pending_orders"]))
        if len(calls) == 1:
            raise RuntimeError("database away")

    coalescer = Coalescer(0.05, flaky)
    try:
        coalescer.add(touched(1))
        await until(lambda: calls, timeout=2.0)
        coalescer.add(touched(2))
        await coalescer.wait_idle(timeout=2.0)
        assert calls == [{1}, {2}]
        assert "a counter recompute failed" in caplog.text
    finally:
        await coalescer.close()


async def test_with_no_window_changes_made_during_a_recount_go_right_after_it() -> None:
    run = Recorder()
    run.gate = asyncio.Event()
    coalescer = Coalescer(0.0, run)
    try:
        coalescer.add(touched(1))
        await asyncio.wait_for(run.started.wait(), 2.0)
        coalescer.add(touched(2))
        coalescer.add(touched(3))
        run.gate.set()
        await coalescer.wait_idle(timeout=2.0)
        assert run.batches == [{1}, {2, 3}]
    finally:
        await coalescer.close()
