"""`Endpoint`: the channel server of a node — its open connections, the sockets it mounts, and
the broadcast API for channels.

    node = Node()
    endpoint = Endpoint(node)
    app = Starlette(routes=[endpoint.mount("/socket", UserSocket())], lifespan=node.lifespan)
    endpoint.broadcast("room:lobby", "new_msg", {"body": "hi"})
    endpoint.disconnect("users_socket:42")    # every connection of that id, on every node
    endpoint.send_info("users_socket:42", {"reload": True})   # to handle_info of its channels

After a pub/sub outage (broadcasts may have been lost) the endpoint asks every joined channel
that defines `resync(socket)` to reload, a few at a time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from starlette.routing import Mount

from ..close_codes import CloseCode
from ..node import Node, Stage
from .connection import Connection
from .process import INFO_EVENT, RESYNC
from .settings import ChannelSettings
from .socket import Socket
from .transports.mount import SocketApp

__all__ = ["Endpoint"]

log = logging.getLogger("liveui.channels")

class Endpoint:
    def __init__(
        self, node: Node | None = None, *, settings: ChannelSettings | None = None
    ) -> None:
        self.node = node if node is not None else Node()
        self.settings = settings or ChannelSettings()
        self.connections: set[Connection] = set()
        self.started = False
        self.resync_limit = asyncio.Semaphore(self.settings.resync_concurrency)
        self.node.ticker.add(self._close_idle)
        self.node.attach(self, Stage.SERVER)

    @property
    def hub(self) -> Any:
        return self.node.hub

    # serving ---------------------------------------------------------------------------------
    def socket_app(self, socket: Socket, *, longpoll: bool = True) -> SocketApp:
        return SocketApp(self, socket, longpoll=longpoll)

    def mount(self, path: str, socket: Socket, *, longpoll: bool = True) -> Mount:
        """A Starlette route serving `<path>/websocket` for phoenix.js's `new Socket(path)`, and
        `<path>/longpoll` for its LongPoll transport (`longpoll=False` leaves it out)."""
        return Mount(path, app=self.socket_app(socket, longpoll=longpoll))

    def register(self, connection: Connection) -> None:
        self.connections.add(connection)

    def unregister(self, connection: Connection) -> None:
        self.connections.discard(connection)

    # broadcasting ----------------------------------------------------------------------------
    def broadcast(self, topic: str, event: str, payload: Any) -> None:
        """Send to every subscriber of `topic` on every node. Safe from any thread."""
        self.node.broadcast(topic, event, payload)

    def broadcast_from(self, sender: object, topic: str, event: str, payload: Any) -> None:
        """Like `broadcast`, but not to the `sender` connection."""
        self.node.broadcast(topic, event, payload, exclude=sender)

    def send_info(self, topic: str, message: Any) -> None:
        """Hand `message` to `handle_info` of every channel, on every node, that hears `topic`:
        its own topic, a topic it `subscribe`d to, or a socket id (then every channel of those
        connections). Nothing reaches the clients. Safe from any thread; `message` must be
        JSON-serializable when the pub/sub backend spans several nodes."""
        self.node.broadcast(topic, INFO_EVENT, message)

    def disconnect(self, socket_id: str) -> None:
        """Close every connection whose `Socket.id` is `socket_id` with 1001 (clients reconnect)."""
        self.node.broadcast(socket_id, "disconnect", {})

    # resync ----------------------------------------------------------------------------------
    def resync_channels(self) -> int:
        """Ask every joined channel that defines `resync` to reload (each in its own mailbox, in
        order with its other work); returns how many were asked. The hub calls it after a
        pub/sub outage."""
        asked = 0
        for connection in list(self.connections):
            for process in list(connection.channels.values()):
                if process.stopped or getattr(process.channel, "resync", None) is None:
                    continue
                process.socket.send_info(RESYNC)
                asked += 1
        if asked:
            log.info("liveui.channels: resync: %d channel(s) reload their state", asked)
        return asked

    def _on_hub_resync(self) -> None:
        self.resync_channels()

    # lifecycle (driven by the node) ----------------------------------------------------------
    async def start(self) -> None:
        self.node.hub.on_resync(self._on_hub_resync)
        self.started = True

    async def stop(self) -> None:
        self.started = False
        self.node.hub.remove_resync(self._on_hub_resync)
        for connection in list(self.connections):
            connection.close(CloseCode.RESTART, "server restarting")

    def _close_idle(self, now: float) -> None:
        deadline = time.monotonic() - self.settings.idle_timeout
        for connection in list(self.connections):
            if connection.last_seen < deadline:
                connection.close(CloseCode.GOING_AWAY, "idle timeout")
