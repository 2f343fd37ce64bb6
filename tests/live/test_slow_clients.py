"""A live client that stops reading is closed on the wire (`LiveSettings.max_pending`): the SSE
stream ends with a `liveui-close` event, the WebSocket closes with 1013; a client that keeps
reading is never closed. Both over a real uvicorn on loopback."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jinja2
import websockets
from starlette.applications import Starlette

from liveui import Broadcast, LiveComponent, LiveSettings, LiveUI, Node
from liveui.live.fragment import Fragment
from liveui.live.render import Renderer
from liveui.live.session_token import make_token
from liveui.live.specs import encode_specs
from liveui.testing import serve
from tests.support.sse import sse_events

SECRET = "k"
TOPIC = "slow-client-test"
MAX_PENDING = 4
PAD = "x" * 65536
# 300 patches of 64 KB are far more than the loopback socket buffers of a reader that stopped
# can hold, so the server's writer must block and more than MAX_PENDING patches pile up.
COUNT = 300
VALUE = re.compile(r">(-?\d+):x")


class Feed(LiveComponent):
    """Shows the last number broadcast on TOPIC, padded to 64 KB, and again in a second element:
    a patch of two elements never coalesces with the previous one (a single-element patch does,
    so a slow reader of one counter gets the latest value instead of a backlog)."""

    name = "test_slow_client_feed"
    template = "feed.html"

    async def mount(self, ctx: Any) -> None:
        self.state.setdefault("n", -1)

    def topics(self, user_id: Any) -> list[str]:
        return [TOPIC]

    def authorize(self, ctx: Any) -> bool:
        return True

    def handle_info(self, message: Broadcast) -> bool:
        self.state = {"n": message.payload}
        return True

    def fragments(self, renderer: Renderer) -> list[Fragment]:
        stamp = f'<b id="{self.id}-stamp">{self.state["n"]}</b>'
        return [*super().fragments(renderer), Fragment(f"{self.id}-stamp", stamp)]


def _app() -> tuple[Starlette, LiveUI]:
    live = LiveUI(node=Node(), secret_key=SECRET, get_user_id=lambda r: None, debug=True,
                  settings=LiveSettings(max_pending=MAX_PENDING))
    live.install_templates(jinja2.Environment(loader=jinja2.DictLoader(
        {"feed.html": '<i id="{{ id }}" {{ attrs }}>{{ state.n }}:' + PAD + "</i>"}
    )))
    return Starlette(routes=live.routes(), lifespan=live.node.lifespan), live


def _query(user_id: int) -> str:
    _, token = make_token(SECRET, user_id)
    return f"token={token}&c={encode_specs([Feed().spec()])}"


def _value(html: str) -> int | None:
    found = VALUE.search(html)
    return int(found.group(1)) if found else None


async def _next_value(events: AsyncIterator[dict[str, str]]) -> int:
    async with asyncio.timeout(10):
        async for event in events:
            value = _value(event.get("data", ""))
            if event.get("event") == "patch" and value is not None:
                return value
    raise AssertionError("the stream ended")


async def test_an_sse_client_that_stops_reading_gets_liveui_close_and_the_stream_ends() -> None:
    app, live = _app()
    with serve(app, timeout_graceful_shutdown=1) as server:
        async with (
            httpx.AsyncClient(base_url=server.url, timeout=30) as http,
            http.stream("GET", f"/liveui/sse?{_query(1)}") as slow_response,
            http.stream("GET", f"/liveui/sse?{_query(2)}") as fast_response,
        ):
            slow, fast = sse_events(slow_response), sse_events(fast_response)
            assert await _next_value(slow) == -1  # mounted; from here on `slow` reads nothing
            assert await _next_value(fast) == -1
            for i in range(COUNT):
                live.node.broadcast(TOPIC, "tick", i)
                assert await _next_value(fast) == i  # a reader that keeps up is never closed
            received: list[int] = []
            closed: dict[str, str] = {}
            async with asyncio.timeout(30):
                async for event in slow:  # reading again: what the server wrote, then the end
                    if event.get("event") == "liveui-close":
                        closed = event
                    elif (value := _value(event.get("data", ""))) is not None:
                        received.append(value)
    assert closed.get("data") == "slow client: too many patches pending"
    # In order and without gaps up to the close: patches are dropped only by closing.
    assert received == list(range(len(received)))
    assert len(received) < COUNT


async def test_a_websocket_client_that_stops_reading_is_closed_with_1013() -> None:
    app, live = _app()
    with serve(app, timeout_graceful_shutdown=1) as server:
        base = f"{server.ws_url}/liveui/ws"
        # max_queue=1: the client library stops reading the socket once one frame waits.
        slow = await websockets.connect(f"{base}?{_query(1)}", max_queue=1, max_size=None)
        fast = await websockets.connect(f"{base}?{_query(2)}", max_size=None)

        async def next_value(ws: Any) -> int:
            async with asyncio.timeout(10):
                while (value := _value(await ws.recv())) is None:
                    pass
                return value

        assert await next_value(slow) == -1
        assert await next_value(fast) == -1
        for i in range(COUNT):
            live.node.broadcast(TOPIC, "tick", i)
            assert await next_value(fast) == i
        received: list[int] = []
        try:
            async with asyncio.timeout(30):
                while True:
                    if (value := _value(await slow.recv())) is not None:
                        received.append(value)
        except websockets.ConnectionClosed as exc:
            closed = exc
        await fast.close()
    assert closed.rcvd is not None
    assert (closed.rcvd.code, closed.rcvd.reason) == (1013, "slow client: too many patches pending")
    assert received == list(range(len(received)))
    assert len(received) < COUNT
