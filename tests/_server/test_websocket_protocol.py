"""`UvicornWebSocketProtocol` under a real uvicorn: once the handshake is done it keeps neither
its request nor its response (nor does websockets' parser), and the connection works as before
(subprotocol, messages, a message split over many reads, compression)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.client import connect
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
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
            frame = protocol.conn.parser.gi_frame
            assert frame is not None and not any(
                isinstance(v, Request) for v in frame.f_locals.values())
            await ws.send("still here")
            assert await ws.recv() == "still here"


async def test_messages_split_over_reads_and_compressed_still_parse() -> None:
    """The frame parser that takes over after the handshake reads frames that arrive a few
    bytes at a time, large ones, and permessage-deflate ones."""
    with serve(APP) as server:
        async with connect(f"{server.ws_url}/ws", subprotocols=[Subprotocol("phoenix")],
                           compression="deflate", max_size=None) as ws:
            for text in ("a", "b" * 200, "ü" * 70_000):
                await ws.send(text)
                assert await ws.recv() == text
        async with connect(f"{server.ws_url}/ws", subprotocols=[Subprotocol("phoenix")],
                           compression=None) as ws:
            raw = ws.transport
            await ws.send("first")
            assert await ws.recv() == "first"
            # One masked text frame "split", written a byte at a time.
            data = Frame(Opcode.TEXT, b"split").serialize(mask=True)
            for i in range(len(data)):
                raw.write(data[i:i + 1])
            assert await ws.recv() == "split"
