"""`DisconnectWatch` steps a server's `receive()` without a task: it reports the client's
leaving once, keeps listening through request body parts, and stops cleanly. Over a real
uvicorn it is exercised by every SSE test (tests/live/test_sse.py: a client that leaves
detaches its connection)."""

from __future__ import annotations

import asyncio
from typing import Any

from liveui.live.disconnect_watch import DisconnectWatch


class Inbox:
    """A receive() over an asyncio.Queue, as hypercorn's is; records when it is closed."""

    def __init__(self, *, bare_yield_first: bool = False) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.closed = 0
        self.bare_yield_first = bare_yield_first

    async def receive(self) -> dict[str, Any]:
        try:
            if self.bare_yield_first:
                await asyncio.sleep(0)  # a bare yield: not a future, a task must take over
            return await self.queue.get()
        except GeneratorExit:
            self.closed += 1
            raise


async def until(condition: Any, timeout: float = 2.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def loop_turns(n: int = 5) -> None:
    """Let the event loop run callbacks a few times (a done-callback needs one turn)."""
    for _ in range(n):
        await asyncio.sleep(0)


async def test_body_parts_are_read_past_and_the_disconnect_is_reported_once() -> None:
    inbox, gone = Inbox(), []
    watch = DisconnectWatch(inbox.receive, lambda: gone.append(True))
    inbox.queue.put_nowait({"type": "http.request", "body": b"", "more_body": False})
    # Taken from the queue means read and judged in the same step: a body part is not a
    # disconnect.
    await until(inbox.queue.empty)
    assert gone == []
    inbox.queue.put_nowait({"type": "http.disconnect"})
    await until(lambda: gone)
    inbox.queue.put_nowait({"type": "http.disconnect"})
    await loop_turns()
    assert gone == [True] and inbox.queue.qsize() == 1  # reported once, then no more receives
    watch.stop()  # after the disconnect: nothing left to close
    assert inbox.closed == 0


async def test_stopping_closes_the_waiting_receive_and_reports_nothing() -> None:
    inbox, gone = Inbox(), []
    watch = DisconnectWatch(inbox.receive, lambda: gone.append(True))  # waits on the queue now
    watch.stop()
    assert inbox.closed == 1
    inbox.queue.put_nowait({"type": "http.disconnect"})
    await loop_turns()
    assert gone == [] and inbox.queue.qsize() == 1  # nobody is receiving any more


async def test_a_receive_that_does_not_wait_on_a_future_gets_a_task() -> None:
    inbox, gone = Inbox(bare_yield_first=True), []
    watch = DisconnectWatch(inbox.receive, lambda: gone.append(True))
    inbox.queue.put_nowait({"type": "http.request", "body": b"x", "more_body": False})
    inbox.queue.put_nowait({"type": "http.disconnect"})
    await until(lambda: gone)
    assert gone == [True]
    watch.stop()
