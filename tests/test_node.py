"""The node runtime: one lifespan starting the hub, the ticker and the parts in order, and the
hand-off of broadcasts from any thread to the event loop."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from typing import Any

import pytest

from liveui import Broadcast, Node
from liveui.node import Stage


class Part:
    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    async def start(self) -> None:
        self.log.append(f"start {self.name}")

    async def stop(self) -> None:
        self.log.append(f"stop {self.name}")


class Probe:
    def __init__(self) -> None:
        self.received: list[Broadcast] = []
        self.arrived = asyncio.Event()

    def deliver(self, message: Broadcast) -> None:
        self.received.append(message)
        self.arrived.set()


async def test_parts_start_by_stage_and_stop_in_reverse() -> None:
    log: list[str] = []
    node = Node()
    node.attach(Part("view", log), Stage.VIEW)
    node.attach(Part("producer", log), Stage.PRODUCER)
    node.attach(Part("server", log), Stage.SERVER)
    async with node.lifespan():
        assert node.hub.started
        assert log == ["start producer", "start server", "start view"]
    assert log[3:] == ["stop view", "stop server", "stop producer"]
    assert not node.hub.started and not node.started


async def test_a_part_failing_to_start_stops_the_ones_started() -> None:
    log: list[str] = []

    class Broken(Part):
        async def start(self) -> None:
            raise RuntimeError("no database")

    node = Node()
    node.attach(Part("producer", log), Stage.PRODUCER)
    node.attach(Broken("server", log), Stage.SERVER)
    with pytest.raises(RuntimeError, match="no database"):
        await node.start()
    assert log == ["start producer", "stop producer"]
    assert not node.hub.started and not node.started


async def test_attach_is_once_and_only_before_start() -> None:
    log: list[str] = []
    node = Node()
    part = Part("p", log)
    node.attach(part, Stage.SERVER)
    node.attach(part, Stage.SERVER)
    async with node.lifespan():
        with pytest.raises(RuntimeError):
            node.attach(Part("late", log), Stage.VIEW)
    assert log == ["start p", "stop p"]


async def test_broadcast_from_another_thread_is_delivered_on_the_loop() -> None:
    node = Node()
    probe = Probe()
    async with node.lifespan():
        node.hub.subscribe("room:1", probe)
        seen_on: list[int] = []
        original = probe.deliver

        def deliver(message: Broadcast) -> None:
            seen_on.append(threading.get_ident())
            original(message)

        probe.deliver = deliver  # type: ignore[method-assign]
        thread = threading.Thread(target=node.broadcast, args=("room:1", "hi", {"n": 1}))
        thread.start()
        thread.join()
        await asyncio.wait_for(probe.arrived.wait(), 2)
    assert [(m.event, m.payload) for m in probe.received] == [("hi", {"n": 1})]
    assert seen_on == [threading.get_ident()]


def test_call_soon_without_any_loop_says_so() -> None:
    node = Node()
    ran: list[Any] = []
    assert node.call_soon(ran.append, 1) is False
    assert ran == []


async def test_call_soon_on_a_loop_before_start_runs_in_place() -> None:
    node = Node()
    ran: list[Any] = []
    assert node.call_soon(ran.append, 1) is True
    assert ran == [1]


def test_hub_and_backend_are_exclusive() -> None:
    node = Node()
    with pytest.raises(TypeError):
        Node(hub=node.hub, pubsub_url="memory://")


FREEZE_PROBE = """
import asyncio, gc, sys
from liveui import Node

async def main(freeze):
    first = Node(freeze_startup_heap=freeze)
    async with first.lifespan():
        after_first = gc.get_freeze_count()
    garbage = [[] for _ in range(10_000)]  # made after the first start: never frozen
    async with Node(freeze_startup_heap=freeze).lifespan():
        after_second = gc.get_freeze_count()
    print(after_first, after_second, len(garbage))

asyncio.run(main(sys.argv[1] == "freeze"))
"""


@pytest.mark.parametrize("freeze", [True, False])
def test_the_start_up_heap_is_frozen_once_per_process(freeze: bool) -> None:
    """A fresh interpreter each: the first node start freezes what exists then, a later one
    freezes nothing more (objects made since stay collectable); switched off, nothing is."""
    done = subprocess.run(
        [sys.executable, "-c", FREEZE_PROBE, "freeze" if freeze else "no"],
        capture_output=True, text=True, timeout=60, check=True,
    )
    after_first, after_second, _ = (int(n) for n in done.stdout.split())
    if freeze:
        # Frozen objects freed by reference counting leave the count; none was added.
        assert after_first > 1000 and after_first - 100 < after_second <= after_first
    else:
        assert after_first == after_second == 0
