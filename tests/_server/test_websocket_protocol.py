"""`UvicornWebSocketProtocol` under a real uvicorn: once the handshake is done it keeps neither
its request nor its response, and the connection works as before (subprotocol, messages)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from liveui import UvicornWebSocketProtocol
from liveui.testing import serve


async def echo(websocket: WebSocket) -> None:
    await websocket.accept(subprotocol="phoenix")
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass


APP = Starlette(routes=[WebSocketRoute("/ws", echo)])


async def test_the_handshake_is_let_go_once_the_connection_is_open() -> None:
    with serve(APP) as server:
        async with connect(f"{server.ws_url}/ws", subprotocols=[Subprotocol("phoenix")]) as ws:
            assert ws.subprotocol == "phoenix"
            await ws.send("hello")
            assert await ws.recv() == "hello"
            [protocol] = [c for c in server.server.server_state.connections
                          if isinstance(c, UvicornWebSocketProtocol)]
            assert protocol.request is None and protocol.response is None
            await ws.send("still here")
            assert await ws.recv() == "still here"
