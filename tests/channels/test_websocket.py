"""The WebSocket transport over a real uvicorn server on loopback."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from starlette.applications import Starlette

from liveui import ChannelSettings, Endpoint, Node
from liveui.testing import LiveServer, serve

from .apps import EchoSocket


def make_app(
    settings: ChannelSettings | None = None, tick_interval: float = 1.0
) -> tuple[Starlette, Endpoint]:
    endpoint = Endpoint(Node(tick_interval=tick_interval), settings=settings)
    app = Starlette(
        routes=[endpoint.mount("/socket", EchoSocket())], lifespan=endpoint.node.lifespan
    )
    return app, endpoint


@pytest.fixture
def server() -> Iterator[tuple[LiveServer, Endpoint]]:
    app, endpoint = make_app(ChannelSettings(idle_timeout=0.5), tick_interval=0.1)
    with serve(app) as srv:
        yield srv, endpoint


async def recv_json(ws: Any, timeout: float = 2.0) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def test_v2_join_and_heartbeat(server: tuple[LiveServer, Endpoint]) -> None:
    srv, _ = server
    async with websockets.connect(f"{srv.ws_url}/socket/websocket?user=ann&vsn=2.0.0") as ws:
        await ws.send(json.dumps(["3", "3", "room:lobby", "phx_join", {}]))
        assert await recv_json(ws) == [
            "3",
            "3",
            "room:lobby",
            "phx_reply",
            {"status": "ok", "response": {"joined": "room:lobby"}},
        ]
        await ws.send(json.dumps([None, "7", "phoenix", "heartbeat", {}]))
        while (frame := await recv_json(ws))[1] != "7":
            pass
        assert frame == [None, "7", "phoenix", "phx_reply", {"status": "ok", "response": {}}]


async def test_v1_serializer_when_vsn_missing(server: tuple[LiveServer, Endpoint]) -> None:
    srv, _ = server
    async with websockets.connect(f"{srv.ws_url}/socket/websocket") as ws:
        await ws.send(
            json.dumps(
                {
                    "topic": "room:v1",
                    "event": "phx_join",
                    "payload": {},
                    "ref": "1",
                    "join_ref": "1",
                }
            )
        )
        frame = await recv_json(ws)
        assert frame == {
            "topic": "room:v1",
            "event": "phx_reply",
            "ref": "1",
            "payload": {"status": "ok", "response": {"joined": "room:v1"}},
        }


@pytest.mark.parametrize("query", ["vsn=3.0.0", "refuse=1&vsn=2.0.0"])
async def test_refusals_are_http_403(server: tuple[LiveServer, Endpoint], query: str) -> None:
    srv, _ = server
    with pytest.raises(websockets.InvalidStatus) as exc:
        async with websockets.connect(f"{srv.ws_url}/socket/websocket?{query}"):
            pass
    assert exc.value.response.status_code == 403


async def test_auth_token_subprotocol_is_decoded_and_phoenix_echoed() -> None:
    seen: list[Any] = []

    class TokenSocket(EchoSocket):
        async def connect(self, params: dict[str, Any], connect_info: Any) -> dict[str, Any]:
            seen.append(connect_info.auth_token)
            return {"user": "t"}

    endpoint = Endpoint()
    app = Starlette(
        routes=[endpoint.mount("/socket", TokenSocket())], lifespan=endpoint.node.lifespan
    )
    token = base64.b64encode(b"secret.token-1").decode().rstrip("=")
    with serve(app) as srv:
        async with websockets.connect(
            f"{srv.ws_url}/socket/websocket?vsn=2.0.0",
            subprotocols=["phoenix", f"base64url.bearer.phx.{token}"],  # type: ignore[list-item]
        ) as ws:
            assert ws.subprotocol == "phoenix"
    assert seen == ["secret.token-1"]


async def test_idle_connection_is_closed_by_the_shared_ticker(
    server: tuple[LiveServer, Endpoint],
) -> None:
    srv, _ = server
    async with websockets.connect(f"{srv.ws_url}/socket/websocket?vsn=2.0.0") as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1001, "idle timeout")


async def test_disconnect_by_socket_id_closes_with_1001(
    server: tuple[LiveServer, Endpoint],
) -> None:
    srv, endpoint = server
    url = f"{srv.ws_url}/socket/websocket?vsn=2.0.0&user="
    async with websockets.connect(url + "kim") as kim, websockets.connect(url + "lee") as lee:
        await kim.send(json.dumps(["1", "1", "room:z", "phx_join", {}]))
        await recv_json(kim)
        endpoint.disconnect("echo_socket:kim")
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(kim.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        await lee.send(json.dumps([None, "2", "phoenix", "heartbeat", {}]))
        assert (await recv_json(lee))[1] == "2"


async def test_binary_frames_over_the_wire(server: tuple[LiveServer, Endpoint]) -> None:
    srv, _ = server
    async with websockets.connect(f"{srv.ws_url}/socket/websocket?vsn=2.0.0") as ws:
        await ws.send(json.dumps(["1", "1", "room:b", "phx_join", {}]))
        await recv_json(ws)
        header = bytes([0, 1, 1, 6, 6]) + b"1" + b"2" + b"room:b" + b"binary"
        await ws.send(header + b"abc")
        while isinstance(frame := await asyncio.wait_for(ws.recv(), 2), str):
            pass
        # kind 1 reply: join_ref "1", ref "2", topic, status "ok", then the payload bytes
        assert frame == bytes([1, 1, 1, 6, 2]) + b"12room:bok" + b"cba"


async def test_server_shutdown_closes_with_a_code_clients_reconnect_after() -> None:
    app, _ = make_app()
    with serve(app) as srv:
        ws = await websockets.connect(f"{srv.ws_url}/socket/websocket?vsn=2.0.0")
        srv.server.should_exit = True
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code in (1001, 1012)
