"""`LoadBatcher`: loads that arrive together go out as one batch; the ones arriving while a batch
runs go out together right after it; a failure reaches exactly that batch's callers."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Sequence

import pytest

from liveui.dispatch.load_batcher import LoadBatcher


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[Hashable, list[Hashable]]] = []
        self.gate: asyncio.Event | None = None
        self.fail = False

    async def load_many(self, key: Hashable, users: Sequence[Hashable]) -> dict[Hashable, str]:
        self.calls.append((key, list(users)))
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise RuntimeError("database down")
        return {u: f"{key}:{u}" for u in users}


async def test_loads_of_one_iteration_go_out_in_one_call_per_key() -> None:
    recorder = Recorder()
    batcher = LoadBatcher(recorder.load_many)
    results = await asyncio.gather(
        *(batcher.load("a", u) for u in (1, 2, 3)), batcher.load("b", 1), batcher.load("a", 2)
    )
    assert results == ["a:1", "a:2", "a:3", "b:1", "a:2"]
    assert sorted(recorder.calls, key=str) == [("a", [1, 2, 3]), ("b", [1])]
    assert batcher.batches == 1 and batcher.loads == 5


async def test_loads_arriving_during_a_batch_wait_and_go_out_together() -> None:
    recorder = Recorder()
    recorder.gate = asyncio.Event()
    batcher = LoadBatcher(recorder.load_many)
    first = asyncio.ensure_future(batcher.load("a", 1))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    later = [asyncio.ensure_future(batcher.load("a", u)) for u in (2, 3, 4)]
    await asyncio.sleep(0.01)
    assert recorder.calls == [("a", [1])]  # the others wait for the running batch
    recorder.gate.set()
    assert await first == "a:1"
    assert await asyncio.gather(*later) == ["a:2", "a:3", "a:4"]
    assert recorder.calls == [("a", [1]), ("a", [2, 3, 4])]


async def test_a_failed_batch_fails_its_callers_and_the_next_batch_runs() -> None:
    recorder = Recorder()
    recorder.fail = True
    batcher = LoadBatcher(recorder.load_many)
    with pytest.raises(RuntimeError, match="database down"):
        await batcher.load("a", 1)
    recorder.fail = False
    assert await batcher.load("a", 1) == "a:1"


async def test_a_caller_that_left_does_not_stop_the_others() -> None:
    recorder = Recorder()
    recorder.gate = asyncio.Event()
    batcher = LoadBatcher(recorder.load_many)
    gone = asyncio.ensure_future(batcher.load("a", 1))
    stays = asyncio.ensure_future(batcher.load("a", 2))
    await asyncio.sleep(0.01)
    gone.cancel()
    recorder.gate.set()
    assert await stays == "a:2"
    assert gone.cancelled()
