"""`LightQueue` and `LightEvent` behave as the asyncio operations uvicorn's protocol uses."""

from __future__ import annotations

import asyncio
import tracemalloc

import pytest

from liveui._server.light_async import LightEvent, LightQueue


async def test_the_queue_is_fifo_and_get_waits_for_an_item() -> None:
    queue: LightQueue[int] = LightQueue()
    assert queue.empty() and queue.qsize() == 0
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()
    getter = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    assert not getter.done()
    queue.put_nowait(1)
    queue.put_nowait(2)
    assert await asyncio.wait_for(getter, 1) == 1
    assert queue.qsize() == 1 and await queue.get() == 2 and queue.empty()


async def test_a_cancelled_get_leaves_the_queue_working() -> None:
    queue: LightQueue[str] = LightQueue()
    getter = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    getter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await getter
    queue.put_nowait("kept")  # not taken by the cancelled getter
    assert await asyncio.wait_for(queue.get(), 1) == "kept"


async def test_the_event_wakes_every_waiter_and_can_be_cleared() -> None:
    event = LightEvent()
    assert not event.is_set()
    waiters = [asyncio.create_task(event.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    event.set()
    assert await asyncio.wait_for(asyncio.gather(*waiters), 1) == [True, True, True]
    assert await event.wait()  # already set: at once
    event.clear()
    late = asyncio.create_task(event.wait())
    await asyncio.sleep(0)
    assert not late.done()
    late.cancel()
    with pytest.raises(asyncio.CancelledError):
        await late
    event.set()
    assert event.is_set()


async def test_a_cancelled_waiter_leaves_the_others_waiting() -> None:
    event = LightEvent()
    first, second = (asyncio.create_task(event.wait()) for _ in range(2))
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.sleep(0)
    assert not second.done()
    event.set()
    assert await asyncio.wait_for(second, 1) is True
    event.clear()
    alone = asyncio.create_task(event.wait())  # one waiter again after a list of them
    await asyncio.sleep(0)
    event.set()
    assert await asyncio.wait_for(alone, 1) is True


async def test_they_cost_a_fraction_of_asyncios() -> None:
    def per_pair(make_queue: type, make_event: type) -> float:
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            kept = [(make_queue(), make_event()) for _ in range(1000)]
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert len(kept) == 1000
        return grown / 1000

    assert per_pair(LightQueue, LightEvent) * 5 < per_pair(asyncio.Queue, asyncio.Event)
