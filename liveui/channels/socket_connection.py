"""`Connection`: the socket-level protocol engine, independent of the transport.

It decodes client frames, answers heartbeats, joins and leaves channels, routes pushes to the
right `ChannelProcess`, enforces the limits (frame size, rate, channel count) and encodes what
goes back. A transport only moves frames: see `websocket.py`, and `liveui.testing` which drives
this class with no network at all.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from .._utils import maybe_await
from ..auth.claims import AuthClaims
from ..close_codes import CloseCode
from .channel_socket import ChannelSocket
from .message import Frame, Inbound, Reply
from .process import INFO_EVENT, ChannelProcess
from .roles import Transport
from .serializers import DecodeError, Serializer

if TYPE_CHECKING:
    from ..pubsub.broadcast import Broadcast
    from .channel_settings import ChannelSettings
    from .roles import ConnectionEndpoint
    from .socket import Socket

__all__ = ["Connection", "Transport"]

log = logging.getLogger("liveui.channels")

JOIN_CRASHED = {"reason": "join crashed"}

_revoking: set[asyncio.Task[None]] = set()  # held so a running revocation is not collected


class Connection:
    __slots__ = (
        "_joining",
        "_strikes",
        "_tokens",
        "_tokens_at",
        "_user_bucket",
        "assigns",
        "auth",
        "channels",
        "closed",
        "connect_info",
        "endpoint",
        "handler",
        "last_seen",
        "serializer",
        "settings",
        "socket_id",
        "transport",
        "user_key",
    )

    def __init__(
        self,
        endpoint: ConnectionEndpoint,
        handler: Socket,
        serializer: Serializer,
        assigns: dict[str, Any],
        transport: Transport,
        connect_info: Any = None,
    ) -> None:
        self.endpoint = endpoint
        self.handler = handler
        self.serializer = serializer
        self.assigns = assigns
        self.transport = transport
        self.connect_info = connect_info
        self.settings: ChannelSettings = endpoint.settings
        self.channels: dict[str, ChannelProcess] = {}
        self._joining: dict[str, ChannelProcess] = {}  # topic -> process while its join runs
        self.socket_id: str | None = None
        self.closed = False
        self.last_seen = time.monotonic()
        self._tokens = float(self.settings.rate_burst)
        self._tokens_at = self.last_seen
        self._strikes = 0
        auth = assigns.get("auth")
        self.auth: AuthClaims | None = auth if isinstance(auth, AuthClaims) else None
        """The login this connection belongs to (`assigns["auth"]`): revoking it closes this."""
        self.user_key: str | None = None
        self._user_bucket: Any = None

    # lifecycle -------------------------------------------------------------------------------
    def open(self, socket_id: str | None) -> None:
        self.socket_id = socket_id
        self.user_key = self.auth.user_key if self.auth is not None else socket_id
        self._user_bucket = self.endpoint.register(self)
        if socket_id is not None:
            self.endpoint.hub.subscribe(socket_id, self)

    async def closed_by_transport(self) -> None:
        """The transport is gone: end every channel, forget the connection."""
        if self.closed:
            return
        self.closed = True
        code = self.transport.close_code
        self.endpoint.closes["client" if code is None else str(code)] += 1
        if code == CloseCode.TRY_AGAIN:
            log.info(
                "liveui: socket %r of %r was too slow (outbound queue or a channel mailbox "
                "full); closed with 1013", self.socket_id, self.user_key,
                extra={"liveui_socket": self.socket_id, "liveui_user": self.user_key},
            )
        if self.socket_id is not None:
            self.endpoint.hub.unsubscribe(self.socket_id, self)
        self.endpoint.unregister(self)
        for process in list(self.channels.values()):
            await self._remove(process, "closed")

    def close(self, code: int, reason: str) -> None:
        self.transport.close(code, reason)

    def deliver(self, message: Broadcast) -> None:
        """Broadcasts on the socket id topic: "disconnect" closes this connection with 1001, or
        with its login revoked when the payload says `revoke`; `Endpoint.send_info(socket_id,
        message)` reaches the `handle_info` of every channel."""
        if message.event == INFO_EVENT:
            for process in list(self.channels.values()):
                process.post_info(message.payload)
            return
        if message.event != "disconnect":
            self.endpoint.dropped_socket_event(message.topic, message.event)
            return
        payload = message.payload
        if isinstance(payload, dict) and payload.get("revoke") and self.auth is not None:
            revoking = self.endpoint.node.revocations.revoke_session(self.auth)
            task = asyncio.get_running_loop().create_task(revoking)  # closes this with 1008
            _revoking.add(task)
            task.add_done_callback(_revoking.discard)
            return
        self.close(CloseCode.GOING_AWAY, "disconnected by the server")

    # sending ---------------------------------------------------------------------------------
    def send(self, frame: Frame) -> None:
        if not self.closed:
            self.transport.send(frame)

    def send_reply(
        self, join_ref: str | None, ref: str | None, topic: str, status: str, response: Any
    ) -> None:
        self.send(self.serializer.encode_reply(join_ref, ref, topic, status, response))

    def send_control(self, process: ChannelProcess, event: str, payload: Any) -> None:
        """`phx_close` / `phx_error` of a channel, with its join_ref as ref."""
        self.send(self.serializer.encode_control(process.join_ref, process.topic, event, payload))

    # receiving -------------------------------------------------------------------------------
    async def receive(self, data: Frame) -> None:
        now = time.monotonic()
        self.last_seen = now
        if _frame_size(data, self.settings.max_frame_size) > self.settings.max_frame_size:
            self.close(CloseCode.TOO_BIG, "frame too large")
            return
        try:
            message = self.serializer.decode(data)
        except DecodeError as exc:
            log.info("liveui: closing a connection after an undecodable frame: %r", str(exc))
            self.close(CloseCode.INVALID_DATA, f"undecodable frame: {exc}"[:120])
            return
        if message.topic == "phoenix" and message.event == "heartbeat":
            self.send_reply(None, message.ref, "phoenix", "ok", {})
            return
        user_bucket = self._user_bucket
        if not self._take_token(now) or (user_bucket is not None and not user_bucket.take(now)):
            self._strikes += 1
            if self._strikes > self.settings.rate_burst:
                self.close(CloseCode.POLICY, "rate limit exceeded")
            elif message.ref is not None:
                self.send_reply(
                    message.join_ref,
                    message.ref,
                    message.topic,
                    "error",
                    {"reason": "rate_limited"},
                )
            return
        self._strikes = 0
        event = message.event
        if event == "phx_join":
            await self._join(message)
        elif event == "phx_leave":
            self._leave(message)
        else:
            self._push(message)

    def _take_token(self, now: float) -> bool:
        s = self.settings
        refill = (now - self._tokens_at) * s.rate_limit
        self._tokens = min(float(s.rate_burst), self._tokens + refill)
        self._tokens_at = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True

    def _unmatched(self, message: Inbound) -> None:
        self.send_reply(None, message.ref, message.topic, "error", {"reason": "unmatched topic"})

    def _current(self, message: Inbound) -> ChannelProcess | None:
        """The joined channel this message is for; None when unjoined (or stale: ignored)."""
        process = self.channels.get(message.topic)
        if process is None:
            self._unmatched(message)
            return None
        if message.join_ref is not None and message.join_ref != process.join_ref:
            return None  # a stale join_ref: Phoenix ignores these silently
        return process

    def _push(self, message: Inbound) -> None:
        process = self._current(message)
        if process is not None and not process.post_in(message) and message.ref is not None:
            self.send_reply(
                process.join_ref, message.ref, message.topic, "error", {"reason": "overloaded"}
            )

    def _leave(self, message: Inbound) -> None:
        process = self.channels.get(message.topic)
        if process is None:
            self.send_reply(message.join_ref, message.ref, message.topic, "ok", {})
            return
        if message.join_ref is not None and message.join_ref != process.join_ref:
            return
        process.post_leave(message)

    async def _join(self, message: Inbound) -> None:
        topic = message.topic
        route = self.handler.route(topic)
        if route is None:
            self._unmatched(message)
            return
        old = self.channels.get(topic)
        if old is not None and old.leaving:
            # phoenix.js leaves its own duplicate first: that leave was sent before this join,
            # so it is answered (ok, then phx_close) before the join is handled.
            await old.settle()
            old = self.channels.get(topic)
        if old is not None:
            await self._remove(old, "duplicate_join")
            self.send_control(old, "phx_close", {})
        if len(self.channels) >= self.settings.max_channels:
            self.send_reply(
                message.join_ref,
                message.ref,
                topic,
                "error",
                {"reason": "too many channels joined"},
            )
            return
        process: ChannelProcess | None = None
        try:
            channel = route.create()
            socket = ChannelSocket(self, topic, message.join_ref)
            process = self._joining[topic] = ChannelProcess(self, channel, socket)
            result = await maybe_await(channel.join(topic, message.payload, socket))
            if result is None:
                result = Reply("ok", {})
            if not isinstance(result, Reply):
                raise TypeError(f"join returned {result!r}, not ok(...) / error(...)")
            # Encoded before the channel is registered: a response that cannot be sent is a
            # crashed join, not a half-joined channel and a dead connection.
            frame = self.serializer.encode_reply(
                message.join_ref, message.ref, topic, result.status, result.response
            )
        except Exception:
            log.exception("liveui: join of %r crashed", topic)
            if process is not None:
                self._joining.pop(topic, None)
                process.abandon()
            self.send_reply(message.join_ref, message.ref, topic, "error", JOIN_CRASHED)
            return
        if self._joining.get(topic) is process:
            del self._joining[topic]
        if self.closed or result.status != "ok":
            process.abandon()  # what the join set up (presence, subscriptions) is undone
            if not self.closed:
                self.send(frame)
            return
        self.channels[topic] = process
        self.endpoint.hub.subscribe(topic, process)
        self.send(frame)
        process.mark_joined()

    def joined(self, socket: ChannelSocket) -> ChannelProcess | None:
        """The running channel behind `socket` (joined, or while its join runs); None once it
        ended. The connection is the only holder of its channel processes."""
        process = self.channels.get(socket.topic) or self._joining.get(socket.topic)
        if process is None or process.socket is not socket or process.stopped:
            return None
        return process

    # channel endings -------------------------------------------------------------------------
    async def _remove(self, process: ChannelProcess, reason: str) -> None:
        if self.channels.get(process.topic) is process:
            del self.channels[process.topic]
        self.endpoint.hub.unsubscribe(process.topic, process)
        if not process.stopped:
            await process.terminate(reason)

    async def close_channel(self, process: ChannelProcess, reason: str) -> None:
        """A normal stop (leave or stop result): `phx_close`, and the client does not rejoin."""
        await self._remove(process, reason)
        self.send_control(process, "phx_close", {})

    async def crash_channel(self, process: ChannelProcess) -> None:
        """An exception: `phx_error`, and the client rejoins with backoff."""
        await self._remove(process, "crash")
        self.send_control(process, "phx_error", {"reason": "channel_crash"})


def _frame_size(data: Frame, limit: int) -> int:
    """Bytes on the wire; text is at most 4 UTF-8 bytes per character, so encode only near the
    limit."""
    size = len(data)
    if type(data) is str and size <= limit < size * 4:
        return len(data.encode())
    return size
