"""`SocketApp`: what `Endpoint.mount(path, socket)` serves — `<path>/websocket` and, unless
turned off, `<path>/longpoll` for the same socket handler."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.types import Receive, Scope, Send

from .longpoll import LongPollApp
from .websocket import WebSocketApp

if TYPE_CHECKING:
    from ..endpoint import Endpoint
    from ..socket import Socket

__all__ = ["SocketApp"]


class SocketApp:
    def __init__(self, endpoint: Endpoint, handler: Socket, *, longpoll: bool = True) -> None:
        self.websocket = WebSocketApp(endpoint, handler)
        self.longpoll = LongPollApp(endpoint, handler) if longpoll else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.longpoll is not None
            and scope["type"] == "http"
            and scope.get("path", "").rstrip("/").endswith("/longpoll")
        ):
            await self.longpoll(scope, receive, send)
        else:
            await self.websocket(scope, receive, send)
