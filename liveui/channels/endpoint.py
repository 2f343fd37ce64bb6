"""`Endpoint`: the channel server of a node — its open connections, the sockets it mounts, and
the broadcast API for channels.

    node = Node()
    endpoint = Endpoint(node)
    app = Starlette(routes=[endpoint.mount("/socket", UserSocket())], lifespan=node.lifespan)
    endpoint.broadcast("room:lobby", "new_msg", {"body": "hi"})
    endpoint.disconnect("users_socket:42")    # every connection of that id, on every node
    endpoint.disconnect("users_socket:42", revoke=True)   # ... and their logins end for good
    endpoint.send_info("users_socket:42", {"reload": True})   # to handle_info of its channels

A connection whose assigns hold the `AuthClaims` its token carried (under `"auth"`) closes when
that login is revoked on any node (`node.revocations`), and is refused if it already was.

After a pub/sub outage (broadcasts may have been lost) the endpoint asks every joined channel
that defines `resync(socket)` to reload, a few at a time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from typing import Any

from starlette.routing import Mount

from .._utils import maybe_await
from ..auth.claims import AuthClaims
from ..auth.revocations import Revocation
from ..close_codes import CloseCode
from ..node import Node, Stage
from ..ratelimit import TokenBucket
from .channel_settings import ChannelSettings
from .process import INFO_EVENT, RESYNC
from .socket import ConnectInfo, Socket, SocketInfo
from .socket_connection import Connection
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
        # Per user (see ChannelSettings.max_sockets_per_user): their connections and the frame
        # budget they share.
        self.users: dict[str, tuple[set[Connection], TokenBucket]] = {}
        self.closes: Counter[str] = Counter()
        """Connections ended, by who closed them: "client", or the server's close code
        ("1013": too slow — outbound queue or channel mailbox full)."""
        self.accepted = 0
        """Connections accepted since start."""
        self.started = False
        self._dropped_events: set[str] = set()
        self.resync_limit = asyncio.Semaphore(self.settings.resync_concurrency)
        self.node.ticker.add(self._close_idle)
        self.node.attach(self, Stage.SERVER)

    @property
    def hub(self) -> Any:
        return self.node.hub

    # serving ---------------------------------------------------------------------------------
    def socket_app(
        self, socket: Socket, *, websocket: bool = True, longpoll: bool = True
    ) -> SocketApp:
        return SocketApp(self, socket, websocket=websocket, longpoll=longpoll)

    def mount(
        self, path: str, socket: Socket, *, websocket: bool = True, longpoll: bool = True
    ) -> Mount:
        """A Starlette route serving `<path>/websocket` for phoenix.js's `new Socket(path)`, and
        `<path>/longpoll` for its LongPoll transport. As Phoenix's `websocket: true, longpoll:
        false`, either can be switched off (`longpoll=False`, `websocket=False`; not both): a
        WebSocket to a mount without it is refused with HTTP 403, a long poll gets 404."""
        return Mount(path, app=self.socket_app(socket, websocket=websocket, longpoll=longpoll))

    async def authenticate(
        self, handler: Socket, params: dict[str, Any], info: ConnectInfo
    ) -> tuple[dict[str, Any], str | None] | str:
        """Run `handler.connect` for a transport and apply the endpoint's rules: the assigns and
        the socket id of an accepted connection, or why it is refused (every transport answers
        a refusal the same way: HTTP 403 / status 403)."""
        try:
            assigns = await maybe_await(handler.connect(params, info))
        except Exception as exc:
            log.info("liveui: connect refused by an exception: %r", exc)
            assigns = None
        if assigns is None:
            return "connect refused"
        if not isinstance(assigns, dict):
            raise TypeError("Socket.connect must return a dict of assigns or None")
        socket_id = handler.id(SocketInfo(assigns))
        refusal = self.refusal(assigns, socket_id)
        return refusal if refusal is not None else (assigns, socket_id)

    def refusal(self, assigns: dict[str, Any], socket_id: str | None) -> str | None:
        """Why a connection `Socket.connect` accepted must still be refused (its login was
        revoked, its user has `max_sockets_per_user` open here), or None: the same rule for
        every transport."""
        auth = assigns.get("auth")
        if isinstance(auth, AuthClaims) and self.node.revocations.is_revoked(auth):
            return "login revoked"
        user_key = auth.user_key if isinstance(auth, AuthClaims) else socket_id
        if not self.has_room(user_key):
            return "too many connections of this user"
        return None

    def has_room(self, user_key: str | None) -> bool:
        """Whether one more connection of `user_key` is allowed on this node."""
        if user_key is None:
            return True
        own = self.users.get(user_key)
        return own is None or len(own[0]) < self.settings.max_sockets_per_user

    def register(self, connection: Connection) -> TokenBucket | None:
        """Count the connection (and its user's); returns the frame budget that user shares."""
        self.connections.add(connection)
        self.accepted += 1
        user_key = connection.user_key
        if user_key is None:
            return None
        own = self.users.get(user_key)
        if own is None:
            s = self.settings
            bucket = TokenBucket(s.user_rate_limit, s.user_rate_burst, time.monotonic())
            own = self.users[user_key] = (set(), bucket)
        own[0].add(connection)
        return own[1]

    def unregister(self, connection: Connection) -> None:
        self.connections.discard(connection)
        own = self.users.get(connection.user_key or "")
        if own is not None:
            own[0].discard(connection)
            if not own[0]:
                del self.users[connection.user_key or ""]

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

    def disconnect(self, socket_id: str, *, revoke: bool = False) -> None:
        """Close every connection whose `Socket.id` is `socket_id`, on every node.

        Without `revoke` they close with 1001 and the clients reconnect (as in Phoenix). With
        `revoke`, the login session of each one's `AuthClaims` is revoked too, so the same
        token cannot connect again (1008): a force-logout that sticks."""
        self.node.broadcast(socket_id, "disconnect", {"revoke": True} if revoke else {})

    def dropped_socket_event(self, socket_id: str, event: str) -> None:
        """A broadcast on a socket id other than "disconnect" (Phoenix's docs show
        `Endpoint.broadcast("users_socket:42", "force_logout", %{})`) reaches no client and
        closes nothing: said once per event name, so the port is not silently a no-op."""
        if event in self._dropped_events:
            return
        self._dropped_events.add(event)
        log.warning(
            'liveui.channels: a broadcast of %r on the socket id %r was dropped: only '
            '"disconnect" closes a socket. Use endpoint.disconnect(socket_id) (revoke=True to '
            "end the login too), or endpoint.send_info(socket_id, message) for its channels",
            event, socket_id,
        )

    def _revoked(self, revocation: Revocation) -> None:
        for connection in list(self.connections):
            if connection.auth is not None and revocation.covers(connection.auth):
                connection.close(CloseCode.POLICY, "logged out")

    # resync ----------------------------------------------------------------------------------
    def resync_channels(self) -> int:
        """Ask every joined channel that defines `resync` to reload (each in its own mailbox, in
        order with its other work); returns how many were asked. The hub calls it after a
        pub/sub outage."""
        asked = 0
        for connection in list(self.connections):
            for process in list(connection.channels.values()):
                if process.stopped or not process.channel.resyncs():
                    continue
                process.socket.send_info(RESYNC)
                asked += 1
        if asked:
            log.info("liveui.channels: resync: %d channel(s) reload their state", asked,
                     extra={"liveui_channels": asked})
        return asked

    def _on_hub_resync(self) -> None:
        self.resync_channels()

    # lifecycle (driven by the node) ----------------------------------------------------------
    async def start(self) -> None:
        self.node.hub.on_resync(self._on_hub_resync)
        self.node.revocations.on_revoke(self._revoked)
        self.started = True

    async def stop(self) -> None:
        self.started = False
        self.node.hub.remove_resync(self._on_hub_resync)
        self.node.revocations.remove_listener(self._revoked)
        for connection in list(self.connections):
            connection.close(CloseCode.RESTART, "server restarting")

    def _close_idle(self, now: float) -> None:
        deadline = time.monotonic() - self.settings.idle_timeout
        for connection in list(self.connections):
            if connection.last_seen < deadline:
                connection.close(CloseCode.GOING_AWAY, "idle timeout")
