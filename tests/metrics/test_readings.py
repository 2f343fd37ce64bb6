"""`read_node` follows what the parts do: live sessions and how they attach, patches, slow
clients on both servers, pub/sub health. Real components: the live harness, a uvicorn server,
a Redis server, and a port where no Redis listens."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import jinja2
import pytest
import websockets
from starlette.applications import Starlette

from liveui import (
    Broadcast,
    Channel,
    ChannelSettings,
    ChannelSocket,
    Endpoint,
    LiveComponent,
    LiveSettings,
    Node,
    Reading,
    Socket,
    channel,
    ok,
    read_node,
)
from liveui.live.visibility import set_paused
from liveui.testing import free_port, live_harness, serve


def reading(node: Node, name: str) -> Reading:
    found = [r for r in read_node(node) if r.name == name]
    assert len(found) == 1, f"{name}: {found}"
    return found[0]


def value(node: Node, name: str, **labels: str) -> float:
    wanted = tuple(sorted(labels.items()))
    return dict(reading(node, name).values).get(wanted, 0.0)


class Ticker(LiveComponent):
    name = "metrics_ticker"
    template = "ticker.html"

    async def mount(self, ctx: Any) -> None:
        self.state = {"n": 0}

    def topics(self, user_id: Any) -> list[str]:
        return ["ticks:main"]

    def authorize(self, ctx: Any) -> bool:
        return True

    def handle_info(self, message: Broadcast) -> bool:
        self.state = {"n": message.payload["n"]}
        return True


def _templates(harness: Any) -> None:
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"ticker.html": '<b id="{{ id }}" {{ attrs }}>{{ state.n }}</b>'})
    )
    harness.live.install_templates(env)


async def test_live_sessions_attaches_and_patches_are_counted() -> None:
    async with live_harness() as harness:
        _templates(harness)
        node = harness.node
        tab = await harness.open(1, Ticker(), session_id="s1")
        first = await tab.next_patch()
        assert value(node, "liveui_live_sessions") == 1
        assert value(node, "liveui_live_attaches_total", kind="new") == 1
        patches = value(node, "liveui_live_patches_total")
        harness.broadcast("ticks:main", "tick", {"n": 5})
        await tab.next_patch()
        assert value(node, "liveui_live_patches_total") == patches + 1
        assert value(node, "liveui_live_patch_bytes_total") > 0
        tab.close()
        await harness.open(1, Ticker(), session_id="s1", last_event_id=first.event_id)
        await harness.open(1, Ticker(), session_id="s1", last_event_id="unknown-1")
        assert value(node, "liveui_live_attaches_total", kind="replay") == 1
        assert value(node, "liveui_live_attaches_total", kind="resync") == 1
        assert value(node, "liveui_live_sessions") == 1  # the same page, three connections
        assert value(node, "liveui_live_sessions_paused") == 0
        assert await set_paused(harness.live.registry, 1, "s1", True) == (204, "")
        assert value(node, "liveui_live_sessions_paused") == 1


async def test_tabs_sharing_a_session_count_as_pages_and_one_shared_state() -> None:
    async with live_harness() as harness:
        _templates(harness)
        node = harness.node
        shown = Ticker()
        await shown.mount(None)
        for sid in ("a", "b", "c"):
            await harness.open(1, Ticker(), session_id=sid, etags={shown.id: shown.etag()})
        assert value(node, "liveui_live_sessions") == 3
        assert value(node, "liveui_live_sessions_shared") == 1
        assert value(node, "liveui_live_attaches_total", kind="joined") == 2
        assert await set_paused(harness.live.registry, 1, "c", True) == (204, "")
        assert value(node, "liveui_live_sessions_shared") == 2
        assert value(node, "liveui_live_attaches_total", kind="split") == 1


async def test_a_live_slow_client_is_counted_once_with_its_close_code(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="liveui.live")
    async with live_harness(settings=LiveSettings(max_pending=2)) as harness:
        _templates(harness)
        tickers = [Ticker(id=f"k{i}") for i in range(4)]
        tab = await harness.open(1, *tickers, etags={t.id: t.etag() for t in tickers})
        for n in range(1, 5):  # a patch per loop turn; over the limit at the third, not twice
            harness.broadcast("ticks:main", "tick", {"n": n})
            harness.flush()
        assert tab.connection.closing == "slow client: too many patches pending"
        assert value(harness.node, "liveui_slow_client_drops_total", side="live") == 1
        assert value(harness.node, "liveui_live_closes_total", code="1013") == 1
        depth = reading(harness.node, "liveui_outbound_queue_depth")
        assert depth.buckets[-1][1] == 1  # one open connection...
        assert dict(depth.buckets)[1] == 0  # ...with more than one patch waiting
    [record] = [r for r in caplog.records if "too slow" in r.getMessage()]
    assert (record.liveui_user, record.liveui_session) == ("1", tab.session.session_id)


class RoomChannel(Channel):
    async def join(self, topic: str, payload: Any, socket: ChannelSocket) -> Any:
        return ok({})


class RoomSocket(Socket):
    channels = [channel("room:*", RoomChannel)]


async def test_a_socket_that_stops_reading_is_counted_as_a_slow_client() -> None:
    endpoint = Endpoint(Node(), settings=ChannelSettings(outbound_queue_size=4))
    app = Starlette(
        routes=[endpoint.mount("/socket", RoomSocket())], lifespan=endpoint.node.lifespan
    )
    node = endpoint.node
    with serve(app) as srv:
        ws = await websockets.connect(
            f"{srv.ws_url}/socket/websocket?vsn=2.0.0", max_queue=1, max_size=None
        )
        await ws.send(json.dumps(["1", "1", "room:a", "phx_join", {}]))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))[4]["status"] == "ok"
        assert value(node, "liveui_connections", transport="socket_websocket") == 1
        assert value(node, "liveui_channels_joined", topic_class="room") == 1
        pad = "x" * 65536
        for i in range(300):  # far more than the loopback buffers of a stopped reader hold
            node.broadcast("room:a", "big", {"i": i, "pad": pad})
            await asyncio.sleep(0)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
        for _ in range(200):  # the server notices the close on its own loop
            if value(node, "liveui_connections", transport="socket_websocket") == 0:
                break
            await asyncio.sleep(0.025)
        assert value(node, "liveui_connections", transport="socket_websocket") == 0
        assert value(node, "liveui_slow_client_drops_total", side="socket") == 1
        assert value(node, "liveui_socket_closes_total", code="1013") == 1
        # node.broadcast hands over to the server's loop: the last ones may still be on the way
        for _ in range(200):
            if value(node, "liveui_broadcasts_total", topic_class="room") == 300:
                break
            await asyncio.sleep(0.025)
        assert value(node, "liveui_broadcasts_total", topic_class="room") == 300


async def test_pubsub_health_while_the_backend_is_unreachable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="liveui.pubsub")
    node = Node(pubsub_url=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    async with node.lifespan():
        node.broadcast("user:1", "counter_updated", {"n": 1})
        for _ in range(200):
            if value(node, "liveui_pubsub_publish_retries_total") >= 1:
                break
            await asyncio.sleep(0.025)
        assert value(node, "liveui_pubsub_up") == 0
        assert value(node, "liveui_pubsub_outages_total", side="publish") == 1
        assert value(node, "liveui_pubsub_publish_retries_total") >= 1
        assert value(node, "liveui_pubsub_pending") == 1  # kept, to be published later
    outages = [r for r in caplog.records if getattr(r, "liveui_outage", None)]
    assert {r.liveui_outage for r in outages} >= {"pub/sub publishing"}


async def test_pubsub_is_up_and_receives_from_another_node(redis_url: str) -> None:
    a, b = Node(pubsub_url=redis_url), Node(pubsub_url=redis_url)
    async with a.lifespan(), b.lifespan():
        heard = asyncio.Event()

        class Probe:
            def deliver(self, message: Broadcast) -> None:
                heard.set()

        b.hub.subscribe("metrics-probe:1", Probe())
        for _ in range(100):  # until b's subscription reached Redis
            a.broadcast("metrics-probe:1", "ping", {})
            try:
                await asyncio.wait_for(heard.wait(), 0.1)
                break
            except TimeoutError:
                continue
        assert heard.is_set()
        assert value(a, "liveui_pubsub_up") == 1
        assert value(b, "liveui_broadcasts_received_total") >= 1
        assert value(a, "liveui_broadcasts_total", topic_class="metrics-probe") >= 1
        assert value(a, "liveui_pubsub_outages_total", side="listen") == 0
