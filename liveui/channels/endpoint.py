"""`Endpoint`: the process-wide entry point of the channel server.

It owns the pub/sub hub, the registry of open connections and the shared ticker, mounts sockets
into a Starlette app, and offers the broadcast API callable from anywhere in the process:

    endpoint = Endpoint()
    app = Starlette(routes=[endpoint.mount("/socket", UserSocket())], lifespan=endpoint.lifespan)
    endpoint.broadcast("room:lobby", "new_msg", {"body": "hi"})
    endpoint.disconnect("users_socket:42")    # every connection of that id, on every node
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.routing import Mount

from ..pubsub.factory import backend_from_url
from ..pubsub.hub import Hub
from ..ticker import Ticker
from .connection import CloseCode, Connection
from .settings import ChannelSettings
from .socket import Socket
from .websocket import WebSocketApp

__all__ = ["Endpoint"]


class Endpoint:
    def __init__(
        self,
        *,
        hub: Hub | None = None,
        pubsub_url: str | None = None,
        settings: ChannelSettings | None = None,
    ) -> None:
        self.hub = hub if hub is not None else Hub(backend_from_url(pubsub_url))
        self.settings = settings or ChannelSettings()
        self.connections: set[Connection] = set()
        self.ticker = Ticker(self.settings.tick_interval)
        self.ticker.add(self._close_idle)
        self.started = False

    # serving ---------------------------------------------------------------------------------
    def socket_app(self, socket: Socket) -> WebSocketApp:
        return WebSocketApp(self, socket)

    def mount(self, path: str, socket: Socket) -> Mount:
        """A Starlette route serving `<path>/websocket` for phoenix.js's `new Socket(path)`."""
        return Mount(path, app=self.socket_app(socket))

    def register(self, connection: Connection) -> None:
        self.connections.add(connection)

    def unregister(self, connection: Connection) -> None:
        self.connections.discard(connection)

    # broadcasting ----------------------------------------------------------------------------
    def broadcast(self, topic: str, event: str, payload: Any) -> None:
        """Send to every subscriber of `topic` on every node. Safe from any thread."""
        self.hub.broadcast(topic, event, payload)

    def broadcast_from(self, sender: object, topic: str, event: str, payload: Any) -> None:
        """Like `broadcast`, but not to the `sender` connection."""
        self.hub.broadcast(topic, event, payload, exclude=sender)

    def disconnect(self, socket_id: str) -> None:
        """Close every connection whose `Socket.id` is `socket_id` with 1001 (clients reconnect)."""
        self.hub.broadcast(socket_id, "disconnect", {})

    # lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        if self.started:
            return
        await self.hub.start()
        self.ticker.start()
        self.started = True

    async def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        for connection in list(self.connections):
            connection.close(CloseCode.RESTART, "server restarting")
        await self.ticker.stop()
        await self.hub.stop()

    @contextlib.asynccontextmanager
    async def lifespan(self, app: object = None) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    def _close_idle(self, now: float) -> None:
        deadline = time.monotonic() - self.settings.idle_timeout
        for connection in list(self.connections):
            if connection.last_seen < deadline:
                connection.close(CloseCode.GOING_AWAY, "idle timeout")
