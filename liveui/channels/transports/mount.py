"""`SocketApp`: what `Endpoint.mount(path, socket)` serves — `<path>/websocket` and
`<path>/longpoll` for the same socket handler, each unless switched off (Phoenix's
`socket "/socket", UserSocket, websocket: true, longpoll: false`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from .longpoll import LongPollApp
from .websocket import WebSocketApp

if TYPE_CHECKING:
    from ..roles import ConnectionEndpoint as Endpoint
    from ..socket import Socket

__all__ = ["SocketApp"]


class SocketApp:
    def __init__(
        self, endpoint: Endpoint, handler: Socket, *, websocket: bool = True, longpoll: bool = True
    ) -> None:
        if not websocket and not longpoll:
            raise ValueError("liveui: a socket mount needs a transport: websocket and/or longpoll")
        self.websocket = WebSocketApp(endpoint, handler) if websocket else None
        self.longpoll = LongPollApp(endpoint, handler) if longpoll else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path", "").rstrip("/").endswith("/longpoll"):
            if self.longpoll is not None:
                await self.longpoll(scope, receive, send)
            else:
                await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
        elif self.websocket is not None:
            await self.websocket(scope, receive, send)
        elif scope["type"] == "websocket":
            # Refused before the handshake: the client sees HTTP 403 and, with phoenix.js's
            # `longPollFallbackMs`, falls back to LongPoll.
            await send({"type": "websocket.close", "code": 1008})
        else:
            await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
