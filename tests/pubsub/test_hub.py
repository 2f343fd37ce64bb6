"""The hub over every backend: local delivery, and two hubs on one server acting as two nodes."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from liveui import Endpoint, Node
from liveui.pubsub.hub import Hub
from liveui.testing import connect
from tests.channels.apps import EchoSocket
from tests.pubsub.pubsub_helpers import ACROSS_NODES, BackendFactory, Probe, unique

HubFactory = Callable[[], Awaitable[Hub]]

@pytest.fixture
async def make_hub(make_backend: BackendFactory) -> AsyncIterator[HubFactory]:
    hubs: list[Hub] = []

    async def make() -> Hub:
        hub = Hub(await make_backend())
        await hub.start()
        hubs.append(hub)
        return hub

    yield make
    for hub in hubs:
        await hub.stop()


async def test_local_subscribers_get_each_broadcast_once(make_hub: HubFactory) -> None:
    hub = await make_hub()
    topic = unique("room:")
    probe, other = Probe(), Probe()
    hub.subscribe(topic, probe)
    hub.subscribe(unique("room:"), other)
    hub.broadcast(topic, "first", {"n": 1})
    hub.broadcast(topic, "second", {"n": 2})
    # Local delivery is synchronous: no waiting needed, and the echo must never add a copy.
    assert probe.events == [("first", {"n": 1}), ("second", {"n": 2})]
    await asyncio.sleep(0)
    hub.broadcast(topic, "third", {})
    assert [e for e, _ in probe.events] == ["first", "second", "third"]
    assert other.received == []


async def test_broadcast_off_the_loop_thread_is_refused(make_hub: HubFactory) -> None:
    """The hub runs on its loop; other threads go through `Node.broadcast` (tests/test_node.py)."""
    hub = await make_hub()
    topic = unique("room:")
    probe = Probe()
    hub.subscribe(topic, probe)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            hub.broadcast(topic, "from_thread", {})
        except RuntimeError as exc:
            errors.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    thread.join()
    assert len(errors) == 1 and "Node.broadcast" in str(errors[0])
    assert probe.events == []


async def test_exclude_skips_the_sender_only(make_backend: BackendFactory) -> None:
    """`broadcast_from` on a hub over this backend: the sending connection (the hub hands it to
    subscribers as `exclude`) gets nothing, every other connection on the topic gets it."""
    node = Node(hub=Hub(await make_backend()))
    endpoint = Endpoint(node)
    await node.start()
    try:
        topic = unique("room:")
        sender, other = [
            await (await connect(EchoSocket(), {"user": u}, endpoint=endpoint)).join(topic)
            for u in ("sender", "other")
        ]
        await sender.push("whisper", {"text": "psst"})
        await other.assert_push("whisper", {"text": "psst"})
        await sender.refute_push("whisper")
    finally:
        await node.stop()


@ACROSS_NODES
async def test_two_hubs_on_one_server_deliver_exactly_once(
    make_hub: HubFactory, backend_kind: str
) -> None:
    a, b = await make_hub(), await make_hub()
    topic = unique("room:")
    on_a, on_b = Probe(), Probe()
    a.subscribe(topic, on_a)
    b.subscribe(topic, on_b)
    await _subscribed(a, b)

    a.broadcast(topic, "from_a", {"n": 1})
    await on_b.wait_for_event("from_a")
    # b answers only after it saw a's message, so the backend orders b's reply after a's echo:
    # once a has the reply, a has already seen (and must have ignored) its own echo.
    b.broadcast(topic, "from_b", {"n": 2})
    await on_a.wait_for_event("from_b")
    a.broadcast(topic, "end", {})
    await on_b.wait_for_event("end")

    assert on_a.events == [("from_a", {"n": 1}), ("from_b", {"n": 2}), ("end", {})]
    assert on_b.events == [("from_a", {"n": 1}), ("from_b", {"n": 2}), ("end", {})]


@ACROSS_NODES
async def test_a_hub_without_subscribers_for_a_topic_ignores_it(
    make_hub: HubFactory, backend_kind: str
) -> None:
    a, b = await make_hub(), await make_hub()
    topic, left = unique("room:"), unique("room:")
    on_b = Probe()
    b.subscribe(topic, on_b)
    b.subscribe(left, on_b)
    await _subscribed(a, b)
    b.unsubscribe(left, on_b)
    assert b.subscriber_count(left) == 0
    a.broadcast(left, "gone", {})
    a.broadcast(topic, "kept", {})
    await on_b.wait_for_event("kept")
    assert on_b.events == [("kept", {})]


@ACROSS_NODES
async def test_a_payload_other_nodes_cannot_read_is_refused(
    make_hub: HubFactory, backend_kind: str
) -> None:
    hub = await make_hub()
    topic = unique("room:")
    probe = Probe()
    hub.subscribe(topic, probe)
    with pytest.raises(TypeError, match="not JSON-serializable"):
        hub.broadcast(topic, "bad", {"when": object()})
    assert probe.received == []
    hub.broadcast(topic, "good", {})
    assert probe.events == [("good", {})]


async def _subscribed(a: Hub, b: Hub) -> None:
    """Wait until b's earlier subscriptions are live on the server.

    b's hub subscribes in call order on one connection, so once a fresh topic subscribed last
    receives a's pings, every topic b subscribed before it is live too.
    """
    topic = unique("ready:")
    probe = Probe()
    b.subscribe(topic, probe)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while not probe.received:
        if loop.time() > deadline:
            pytest.fail("the second hub's subscription never became live")
        a.broadcast(topic, "ping", {})
        await asyncio.sleep(0.02)
    b.unsubscribe(topic, probe)


async def test_a_hub_stops_at_once_right_after_its_topics_were_left(make_hub: HubFactory) -> None:
    # A server shutting down: every connection leaves (the hub unsubscribes their topics) and
    # the lifespan stops the hub straight after. redis-py's UNSUBSCRIBE swallows the
    # cancellation the stop sends; the hub then waited for its subscription task forever and
    # the server never exited (SIGTERM ignored until SIGKILL).
    hub = await make_hub()
    topics = [unique("leaving-") for _ in range(20)]
    probe = Probe()
    for topic in topics:
        hub.subscribe(topic, probe)
    await asyncio.sleep(0.2)  # the SUBSCRIBEs are sent
    for topic in topics:
        hub.unsubscribe(topic, probe)
    # Waited for, not cancelled on a timeout: a timeout's cancellation would unstick the stop.
    stopping = asyncio.create_task(hub.stop())
    done, _ = await asyncio.wait({stopping}, timeout=5)
    assert done, "hub.stop() still waits for its tasks"
    assert not hub.started
