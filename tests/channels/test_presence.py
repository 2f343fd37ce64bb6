"""`Presence` through the real protocol engine: tracking per channel, `presence_state` and
`presence_diff` payloads, untracking on every way a channel ends, and several nodes over the
real Redis and PostgreSQL (replication, a silent node, a restarted node)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from liveui import (
    Channel,
    ChannelSocket,
    ConnectInfo,
    Endpoint,
    Node,
    Presence,
    Socket,
    channel,
    error,
    ok,
)
from liveui.testing import ChannelClient, SocketClient, connect

State = dict[str, dict[str, list[dict[str, Any]]]]


class PresenceRoom(Channel):
    """Tracks the user after the join; `refuse_after_track` tracks during the join and then
    refuses it (nothing must stay behind)."""

    def __init__(self, presence: Presence) -> None:
        self.presence = presence

    async def join(self, topic: str, payload: Any, socket: ChannelSocket) -> Any:
        if payload.get("refuse_after_track"):
            self.presence.track(socket, socket.assigns["user_id"], {"doomed": True})
            return error({"reason": "refused"})
        socket.send_info("after_join")
        return ok()

    async def handle_info(self, message: Any, socket: ChannelSocket) -> None:
        self.presence.track(socket, socket.assigns["user_id"], {"tab": socket.assigns["tab"]})
        socket.push("presence_state", self.presence.list(socket.topic))

    async def handle_in(self, event: str, payload: Any, socket: ChannelSocket) -> Any:
        if event == "away":
            ref = self.presence.update(socket, socket.assigns["user_id"], {"away": True})
            return ok({"ref": ref})
        if event == "untrack":
            self.presence.untrack(socket)
            return ok()
        if event == "crash":
            raise RuntimeError("crash on purpose")
        return error({})


class PresenceSocket(Socket):
    async def connect(self, params: dict[str, Any], connect_info: ConnectInfo) -> dict[str, Any]:
        return {"user_id": params["user"], "tab": params.get("tab", 1)}


def make_socket(presence: Presence) -> PresenceSocket:
    sock = PresenceSocket()
    sock.channels = [channel("room:*", PresenceRoom, presence=presence)]  # type: ignore[misc]
    return sock


class View:
    """What phoenix.js's `Presence` makes of the frames one client receives (state + diffs)."""

    def __init__(self, channel: ChannelClient) -> None:
        self.channel = channel
        self.state: State = {}
        self._seen = 0

    def refresh(self) -> None:
        frames = [f for f in self.channel.client.inbox.seen if f.topic == self.channel.topic]
        for frame in frames[self._seen :]:
            if frame.event == "presence_state":
                self.state = {k: {"metas": list(v["metas"])} for k, v in frame.payload.items()}
            elif frame.event == "presence_diff":
                for key, joined in frame.payload["joins"].items():
                    new = [m["phx_ref"] for m in joined["metas"]]
                    kept = [m for m in self.state.get(key, {"metas": []})["metas"]
                            if m["phx_ref"] not in new]
                    self.state[key] = {"metas": kept + list(joined["metas"])}
                for key, left in frame.payload["leaves"].items():
                    if key not in self.state:
                        continue
                    gone = {m["phx_ref"] for m in left["metas"]}
                    metas = [m for m in self.state[key]["metas"] if m["phx_ref"] not in gone]
                    if metas:
                        self.state[key]["metas"] = metas
                    else:
                        del self.state[key]
        self._seen = len(frames)

    def tabs(self) -> dict[str, list[Any]]:
        self.refresh()
        return {k: sorted(m.get("tab") for m in v["metas"]) for k, v in self.state.items()}

    async def wait_for(self, expected: dict[str, list[Any]], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while self.tabs() != expected:
            if time.monotonic() > deadline:
                pytest.fail(f"presence seen by the client: {self.tabs()}, expected {expected}")
            await asyncio.sleep(0.02)


async def join(endpoint: Endpoint, presence: Presence, user: str, tab: int, topic: str) -> tuple[
    SocketClient, ChannelClient, View
]:
    client = await connect(make_socket(presence), {"user": user, "tab": tab}, endpoint=endpoint)
    room = await client.join(topic)
    await room.assert_push("presence_state")
    view = View(room)
    return client, room, view


@pytest.fixture
async def single_node() -> AsyncIterator[tuple[Endpoint, Presence]]:
    node = Node()
    endpoint = Endpoint(node)
    presence = Presence(node)
    await node.start()
    try:
        yield endpoint, presence
    finally:
        await node.stop()


async def test_two_users_see_each_other_join_and_leave(
    single_node: tuple[Endpoint, Presence],
) -> None:
    endpoint, presence = single_node
    alice, _, alice_view = await join(endpoint, presence, "1", 1, "room:a")
    await alice_view.wait_for({"1": [1]})
    bob, _, bob_view = await join(endpoint, presence, "2", 1, "room:a")
    await bob_view.wait_for({"1": [1], "2": [1]})
    await alice_view.wait_for({"1": [1], "2": [1]})
    await bob.close()
    await alice_view.wait_for({"1": [1]})
    assert presence.list("room:a").keys() == {"1"}
    await alice.close()
    assert presence.list("room:a") == {}


async def test_two_tabs_are_one_key_with_two_metas(
    single_node: tuple[Endpoint, Presence],
) -> None:
    endpoint, presence = single_node
    _, _, first_view = await join(endpoint, presence, "7", 1, "room:b")
    second, _, _ = await join(endpoint, presence, "7", 2, "room:b")
    await first_view.wait_for({"7": [1, 2]})
    metas = presence.get_by_key("room:b", 7)
    assert len({m["phx_ref"] for m in metas}) == 2
    await second.close()  # one tab closed: one meta leaves, the key stays
    await first_view.wait_for({"7": [1]})
    diff = first_view.channel.client.inbox.seen[-1]
    assert diff.event == "presence_diff" and list(diff.payload["leaves"]) == ["7"]
    assert diff.payload["leaves"]["7"]["metas"][0]["tab"] == 2


async def test_update_replaces_the_meta_with_a_new_ref(
    single_node: tuple[Endpoint, Presence],
) -> None:
    endpoint, presence = single_node
    _, room, _ = await join(endpoint, presence, "3", 1, "room:c")
    (old,) = presence.get_by_key("room:c", "3")
    reply = await room.assert_reply(await room.push("away"), "ok")
    diff = await room.assert_push("presence_diff")
    while diff["leaves"] == {}:  # the diff of the track itself may come first
        diff = await room.assert_push("presence_diff")
    (new,) = presence.get_by_key("room:c", "3")
    assert new == {"away": True, "phx_ref": reply["ref"], "phx_ref_prev": old["phx_ref"]}
    assert diff == {"joins": {"3": {"metas": [new]}}, "leaves": {"3": {"metas": [old]}}}


async def test_every_way_a_channel_ends_untracks_it(
    single_node: tuple[Endpoint, Presence],
) -> None:
    endpoint, presence = single_node
    client, room, _ = await join(endpoint, presence, "4", 1, "room:d")
    await room.assert_reply(await room.push("untrack"), "ok")
    assert presence.list("room:d") == {}
    crashing = await client.join("room:e")
    await crashing.assert_push("presence_state")
    assert presence.list("room:e").keys() == {"4"}
    await crashing.push("crash")
    await crashing.assert_push("phx_error")
    assert presence.list("room:e") == {}
    leaving = await client.join("room:f")
    await leaving.assert_push("presence_state")
    await leaving.leave()
    assert presence.list("room:f") == {}
    # Tracked during a join that is then refused: undone, nobody ever sees it.
    _, reply = await client.join_reply("room:g", {"refuse_after_track": True})
    assert reply["status"] == "error"
    assert presence.list("room:g") == {}
    # Only the channel still joined (room:d) is remembered, with nothing tracked.
    assert [p.topic for p in presence._owned] == ["room:d"]


async def test_metas_must_be_json_and_a_key_is_tracked_once(
    single_node: tuple[Endpoint, Presence],
) -> None:
    endpoint, presence = single_node
    client, _, _ = await join(endpoint, presence, "5", 1, "room:h")
    process = client.connection.channels["room:h"]
    with pytest.raises(ValueError, match="already tracked"):
        presence.track(process.socket, "5", {})
    with pytest.raises(TypeError, match="JSON"):
        presence.track(process.socket, "other", {"when": object()})
    assert presence.list("room:h").keys() == {"5"}


# several nodes --------------------------------------------------------------------------------
NodeFactory = Callable[[], Awaitable[tuple[Endpoint, Presence]]]


@pytest.fixture(params=["redis", "postgres"])
async def cluster(request: pytest.FixtureRequest) -> AsyncIterator[NodeFactory]:
    """Start nodes sharing one real pub/sub server (a fresh channel set per test)."""
    kind = request.param
    url = request.getfixturevalue("redis_url" if kind == "redis" else "postgres_url")
    name = "presence-" + uuid.uuid4().hex[:10]
    table = "liveui_presence_t" + uuid.uuid4().hex[:10]
    nodes: list[Node] = []

    async def start() -> tuple[Endpoint, Presence]:
        if kind == "redis":
            from liveui.pubsub.backends.redis import RedisBackend

            node = Node(backend=RedisBackend(url), tick_interval=0.05)
        else:
            from liveui.pubsub.backends.postgres import PostgresBackend

            node = Node(backend=PostgresBackend(url, table=table), tick_interval=0.05)
        endpoint = Endpoint(node)
        presence = Presence(node, name=name, heartbeat_interval=0.1, down_after=0.8)
        await node.start()
        nodes.append(node)
        return endpoint, presence

    yield start
    for node in nodes:
        with contextlib.suppress(Exception):
            await node.stop()
    if kind == "postgres":
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            await conn.execute(f"DROP TABLE IF EXISTS {table}")
        finally:
            await conn.close()


async def test_nodes_replicate_joins_and_leaves(cluster: NodeFactory) -> None:
    one, presence_one = await cluster()
    two, presence_two = await cluster()
    topic = "room:" + uuid.uuid4().hex[:8]
    _, _, view_one = await join(one, presence_one, "1", 1, topic)
    _, _, view_two = await join(two, presence_two, "2", 1, topic)
    await view_one.wait_for({"1": [1], "2": [1]})
    await view_two.wait_for({"1": [1], "2": [1]})
    # The same user on both nodes: one key, a meta per node.
    second_tab, _, _ = await join(two, presence_two, "1", 2, topic)
    await view_one.wait_for({"1": [1, 2], "2": [1]})
    await view_two.wait_for({"1": [1, 2], "2": [1]})
    await second_tab.close()
    await view_one.wait_for({"1": [1], "2": [1]})
    await view_two.wait_for({"1": [1], "2": [1]})


async def test_a_silent_node_leaves_and_a_restarted_one_comes_back_new(
    cluster: NodeFactory,
) -> None:
    one, presence_one = await cluster()
    two, presence_two = await cluster()
    topic = "room:" + uuid.uuid4().hex[:8]
    await join(one, presence_one, "1", 1, topic)
    _, _, watcher = await join(two, presence_two, "2", 1, topic)
    await watcher.wait_for({"1": [1], "2": [1]})
    first_identity = presence_one.replica
    # Node one goes silent without a goodbye (its pub/sub connection is gone).
    await one.node.hub.stop()
    went_silent = time.monotonic()
    await watcher.wait_for({"2": [1]}, timeout=5.0)
    # down_after 0.8 s plus a tick and a heartbeat: well within 5 s, and not before 0.8 s.
    assert time.monotonic() - went_silent >= 0.75
    assert first_identity not in presence_two.table.remotes
    # A restarted node is a new replica: its user comes back as a fresh join.
    three, presence_three = await cluster()
    assert presence_three.replica != first_identity
    await join(three, presence_three, "1", 3, topic)
    await watcher.wait_for({"1": [3], "2": [1]})


async def test_a_node_that_stops_cleanly_leaves_at_once(cluster: NodeFactory) -> None:
    one, presence_one = await cluster()
    two, presence_two = await cluster()
    topic = "room:" + uuid.uuid4().hex[:8]
    await join(one, presence_one, "1", 1, topic)
    _, _, watcher = await join(two, presence_two, "2", 1, topic)
    await watcher.wait_for({"1": [1], "2": [1]})
    await one.node.stop()
    # Well before down_after (0.8 s) would expire it: the goodbye, or the leaves of the
    # connections the stopping endpoint closed.
    await watcher.wait_for({"2": [1]}, timeout=0.6)


async def test_a_late_node_learns_the_existing_entries(cluster: NodeFactory) -> None:
    """Entries tracked before a node started reach it through a snapshot."""
    one, presence_one = await cluster()
    topic = "room:" + uuid.uuid4().hex[:8]
    await join(one, presence_one, "1", 1, topic)
    await join(one, presence_one, "1", 2, topic)
    _, presence_two = await cluster()
    deadline = time.monotonic() + 5
    while len(presence_two.get_by_key(topic, "1")) != 2:
        assert time.monotonic() < deadline, presence_two.list(topic)
        await asyncio.sleep(0.02)
