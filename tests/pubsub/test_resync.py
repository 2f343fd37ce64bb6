"""The hub's resync: listeners run once per gap report, a gap reported while they run causes
exactly one more run, and a node whose outbox dropped envelopes asks the others to resync."""

from __future__ import annotations

import asyncio

from liveui.pubsub.backends.memory import MemoryBackend
from liveui.pubsub.hub import CONTROL_CHANNEL, Hub


async def test_gaps_during_a_resync_cause_exactly_one_more() -> None:
    hub = Hub(MemoryBackend())
    await hub.start()
    release = asyncio.Event()
    runs: list[int] = []

    async def slow_listener() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            await release.wait()  # the first resync is still running...

    hub.on_resync(slow_listener)
    try:
        hub._request_resync()
        while not runs:
            await asyncio.sleep(0)
        for _ in range(5):  # ...while five more gaps are reported
            hub._request_resync()
        release.set()
        while hub._resync_task is not None:
            await asyncio.sleep(0)
        assert runs == [0, 1]  # one more run for all five, not five
        assert hub.resync_count == 2
    finally:
        await hub.stop()


async def test_a_control_message_from_another_node_triggers_a_resync() -> None:
    hub = Hub(MemoryBackend())
    await hub.start()
    resynced = asyncio.Event()
    hub.on_resync(resynced.set)
    try:
        other_node = b'{"n":"someone-else","c":"resync"}'
        hub._on_backend_message(CONTROL_CHANNEL, other_node)
        await asyncio.wait_for(resynced.wait(), 5)
        assert hub.resync_count == 1
        # Its own control messages (echoed by the backend) are ignored.
        hub._on_backend_message(CONTROL_CHANNEL, hub._control("resync"))
        await asyncio.sleep(0)
        assert hub.resync_count == 1
    finally:
        await hub.stop()
