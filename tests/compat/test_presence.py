"""Presence with the real phoenix.js client and its own `Presence` class: users see each other
join and leave, a closed tab removes one meta, `update` replaces a meta — on one node, and
across two servers over the real Redis and PostgreSQL."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette

from liveui import Endpoint, Node, Presence
from liveui.testing import LiveServer, serve

from .app import Compat, CompatSocket, Recorder, token_for
from .bridge import PhoenixClient

pytestmark = pytest.mark.compat


def _tab(client: PhoenixClient, url: str, uid: str, user: str, tab: int, topic: str) -> str:
    """Open a socket (a browser tab) of `user`, join `topic` and watch its presence."""
    sid = f"{user}-{tab}"
    client.open_socket(sid, url, params={"token": token_for(f"{uid}-{user}"), "tab": tab})
    client.channel(sid, sid, topic)
    client.presence(sid, sid)
    client.join(sid)
    assert client.wait("join", channel=sid)["status"] == "ok"
    return sid


def test_two_clients_see_each_other_join_and_leave(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    topic = f"lobby:{uid}"
    alice = _tab(client, compat.url(), uid, "alice", 1, topic)
    client.wait_presence(alice, {f"{uid}-alice": [1]})
    bob = _tab(client, compat.url(), uid, "bob", 1, topic)
    client.wait_presence(bob, {f"{uid}-alice": [1], f"{uid}-bob": [1]})
    client.wait_presence(alice, {f"{uid}-alice": [1], f"{uid}-bob": [1]})
    joined = client.wait("presence_join", presence=alice, key=f"{uid}-bob")
    assert joined["current"] is None and joined["joined"][0]["user"] == f"{uid}-bob"
    # The wire: presence_state is a push to the joiner, presence_diff a broadcast to everyone.
    state = client.recv_frame(bob, where=lambda f: f[3] == "presence_state")
    assert state[0] is not None and set(state[4]) >= {f"{uid}-alice", f"{uid}-bob"}
    diff = client.recv_frame(alice, where=lambda f: f[3] == "presence_diff" and f[4]["joins"]
                             .get(f"{uid}-bob"))
    assert diff[:2] == [None, None]
    client.send("disconnect", socket=bob)
    client.wait_presence(alice, {f"{uid}-alice": [1]})
    left = client.wait("presence_leave", presence=alice, key=f"{uid}-bob")
    assert left["current"] == [] and left["left"][0]["tab"] == "1"


def test_a_closed_tab_removes_one_meta(client: PhoenixClient, compat: Compat, uid: str) -> None:
    topic = f"lobby:{uid}"
    first = _tab(client, compat.url(), uid, "carol", 1, topic)
    second = _tab(client, compat.url(), uid, "carol", 2, topic)
    listed = client.wait_presence(first, {f"{uid}-carol": [1, 2]})
    refs = [m["phx_ref"] for m in listed[0]["metas"]]
    assert len(set(refs)) == 2  # one key, a meta per connection, each with its own ref
    client.send("drop", socket=second)  # the tab's connection vanishes without a close
    client.wait_presence(first, {f"{uid}-carol": [1]})
    left = client.wait("presence_leave", presence=first, key=f"{uid}-carol")
    assert [m["tab"] for m in left["left"]] == ["2"]
    assert [m["tab"] for m in left["current"]] == ["1"]  # the key stays: no onLeave without metas


def test_update_replaces_a_meta(client: PhoenixClient, compat: Compat, uid: str) -> None:
    topic = f"lobby:{uid}"
    dave = _tab(client, compat.url(), uid, "dave", 1, topic)
    client.wait_presence(dave, {f"{uid}-dave": [1]})
    assert client.call(dave, "status", {"status": "away"})["status"] == "ok"
    listed = client.wait_presence(dave, {f"{uid}-dave": ["away"]}, key="status")
    (meta,) = listed[0]["metas"]
    assert meta["status"] == "away" and meta["phx_ref_prev"] != meta["phx_ref"]


# two servers ----------------------------------------------------------------------------------
@contextlib.contextmanager
def presence_server(node: Node, name: str) -> Iterator[LiveServer]:
    endpoint = Endpoint(node)
    presence = Presence(node, name=name, heartbeat_interval=0.1, down_after=1.0)
    socket = CompatSocket(Recorder(), set(), presence)
    app = Starlette(routes=[endpoint.mount("/socket", socket)], lifespan=node.lifespan)
    with serve(app) as server:
        yield server


@pytest.fixture(params=["redis", "postgres"])
def two_servers(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    kind = request.param
    url = request.getfixturevalue("redis_url" if kind == "redis" else "postgres_url")
    name = "compat-" + uuid.uuid4().hex[:10]
    table = "liveui_compat_t" + uuid.uuid4().hex[:10]

    def node() -> Node:
        if kind == "redis":
            from liveui.pubsub.backends.redis import RedisBackend

            return Node(backend=RedisBackend(url), tick_interval=0.05)
        from liveui.pubsub.backends.postgres import PostgresBackend

        return Node(backend=PostgresBackend(url, table=table), tick_interval=0.05)

    try:
        with presence_server(node(), name) as one, presence_server(node(), name) as two:
            yield f"{one.ws_url}/socket", f"{two.ws_url}/socket"
    finally:
        if kind == "postgres":
            import asyncio

            import asyncpg

            async def drop() -> None:
                conn = await asyncpg.connect(url)
                try:
                    await conn.execute(f"DROP TABLE IF EXISTS {table}")
                finally:
                    await conn.close()

            asyncio.run(drop())


def test_presence_across_two_servers(
    client: PhoenixClient, two_servers: tuple[str, str], uid: str
) -> None:
    one, two = two_servers
    topic = f"lobby:{uid}"
    erin = _tab(client, one, uid, "erin", 1, topic)
    frank = _tab(client, two, uid, "frank", 1, topic)
    everyone = {f"{uid}-erin": [1], f"{uid}-frank": [1]}
    client.wait_presence(erin, everyone)
    client.wait_presence(frank, everyone)
    # Erin's second tab on the other server: one key, two metas, seen on both servers.
    second = _tab(client, two, uid, "erin", 2, topic)
    both_tabs = {f"{uid}-erin": [1, 2], f"{uid}-frank": [1]}
    client.wait_presence(erin, both_tabs)
    client.wait_presence(frank, both_tabs)
    client.send("disconnect", socket=second)
    client.wait_presence(erin, everyone)
    client.send("disconnect", socket=frank)
    client.wait_presence(erin, {f"{uid}-erin": [1]})
