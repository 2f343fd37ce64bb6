"""Channel tests without a network, the way Phoenix's ChannelTest works.

    async def test_ping(channel_endpoint):
        client = await connect(UserSocket(), {"token": token}, endpoint=channel_endpoint)
        room = await client.join("room:lobby")
        ref = await room.push("ping", {})
        await room.assert_reply(ref, "ok", {"pong": True})

The client drives the real protocol engine (`liveui.channels.Connection`) through an in-memory
transport, so joins, replies, pushes, broadcasts, crashes and closes behave exactly as over a
WebSocket, and every assertion waits (with a timeout) instead of sleeping.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._utils import maybe_await
from ..channels.endpoint import Endpoint
from ..channels.message import Frame
from ..channels.serializers import serializer_for_vsn
from ..channels.socket import ConnectInfo, Socket, SocketInfo
from ..channels.socket_connection import Connection
from ..pubsub.broadcast import Broadcast

__all__ = [
    "ANY",
    "ChannelClient",
    "ConnectRefused",
    "JoinRefused",
    "ReceivedFrame",
    "SocketClient",
    "connect",
]

DEFAULT_TIMEOUT = 5.0
"""How long an assertion waits for what it expects (it returns as soon as it arrives)."""
REFUTE_TIMEOUT = 0.5
"""How long `refute_push` watches for what must not arrive."""


class _Any:
    def __eq__(self, other: object) -> bool:
        return True

    def __repr__(self) -> str:
        return "ANY"


ANY: Any = _Any()
"""Matches any value inside an expected payload: `{"id": ANY, "body": "hi"}`."""


class ConnectRefused(Exception):
    """`Socket.connect` refused the connection (over a WebSocket: HTTP 403)."""


class JoinRefused(AssertionError):
    def __init__(self, topic: str, response: Any) -> None:
        super().__init__(f"join of {topic!r} was refused: {response!r}")
        self.topic = topic
        self.response = response


@dataclass(frozen=True, slots=True)
class ReceivedFrame:
    """A server frame as the client saw it; `status`/`response` are set for replies."""

    join_ref: str | None
    ref: str | None
    topic: str
    event: str
    payload: Any

    @property
    def is_reply(self) -> bool:
        return self.event == "phx_reply"


def _decode(frame: Frame) -> ReceivedFrame:
    if isinstance(frame, bytes):
        kind = frame[0]
        if kind == 0:  # push: join_ref, topic, event
            lens, off = frame[1:4], 4
        elif kind == 1:  # reply: join_ref, ref, topic, status
            lens, off = frame[1:5], 5
        else:  # broadcast: topic, event
            lens, off = frame[1:3], 3
        fields = []
        for n in lens:
            fields.append(frame[off : off + n].decode())
            off += n
        body = frame[off:]
        if kind == 0:
            return ReceivedFrame(fields[0] or None, None, fields[1], fields[2], body)
        if kind == 1:
            payload = {"status": fields[3], "response": body}
            return ReceivedFrame(fields[0] or None, fields[1], fields[2], "phx_reply", payload)
        return ReceivedFrame(None, None, fields[0], fields[1], body)
    join_ref, ref, topic, event, payload = json.loads(frame)
    return ReceivedFrame(join_ref, ref, topic, event, payload)


def _matches(expected: Any, actual: Any) -> bool:
    return expected is None or expected == actual


class _Inbox:
    """Frames received and not yet consumed by an assertion."""

    def __init__(self) -> None:
        self.frames: list[ReceivedFrame] = []
        self.seen: list[ReceivedFrame] = []
        self.closed: tuple[int, str] | None = None
        self._changed = asyncio.Event()

    def add(self, frame: ReceivedFrame) -> None:
        self.frames.append(frame)
        self.seen.append(frame)
        self._changed.set()

    def close(self, code: int, reason: str) -> None:
        if self.closed is None:
            self.closed = (code, reason)
            self._changed.set()

    async def take(
        self, predicate: Callable[[ReceivedFrame], bool], timeout: float
    ) -> ReceivedFrame | None:
        deadline = time.monotonic() + timeout
        while True:
            for i, frame in enumerate(self.frames):
                if predicate(frame):
                    del self.frames[i]
                    return frame
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                return None


class _MemoryTransport:
    def __init__(self, inbox: _Inbox) -> None:
        self.inbox = inbox
        self.close_code: int | None = None

    def send(self, frame: Frame) -> None:
        if self.inbox.closed is None:
            self.inbox.add(_decode(frame))

    def close(self, code: int, reason: str) -> None:
        if self.close_code is None:
            self.close_code = code
        self.inbox.close(code, reason)

    def queue_depth(self) -> int:
        return 0  # frames are handed to the inbox at once


class _BroadcastProbe:
    """Subscribed to a topic on the hub: records every broadcast, like Phoenix's test process."""

    def __init__(self) -> None:
        self.messages: list[Broadcast] = []
        self.changed = asyncio.Event()

    def deliver(self, message: Broadcast) -> None:
        self.messages.append(message)
        self.changed.set()


class SocketClient:
    """A connected socket; join channels with `join`."""

    def __init__(self, connection: Connection, inbox: _Inbox) -> None:
        self.connection = connection
        self.inbox = inbox
        self._refs = itertools.count(1)
        self._probes: list[tuple[str, _BroadcastProbe]] = []

    def next_ref(self) -> str:
        return str(next(self._refs))

    @property
    def assigns(self) -> dict[str, Any]:
        return self.connection.assigns

    @property
    def closed(self) -> tuple[int, str] | None:
        """(code, reason) once the server closed the connection."""
        return self.inbox.closed

    async def send_raw(self, frame: Frame) -> None:
        """Feed a raw frame to the server, as a client would (for malformed-input tests)."""
        await self.connection.receive(frame)

    async def join(
        self, topic: str, payload: Any = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> ChannelClient:
        """Join `topic`; raises `JoinRefused` with the server's response when refused."""
        channel, reply = await self.join_reply(topic, payload, timeout=timeout)
        if reply["status"] != "ok":
            raise JoinRefused(topic, reply["response"])
        return channel

    async def join_reply(
        self, topic: str, payload: Any = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> tuple[ChannelClient, dict[str, Any]]:
        """Join and return the raw reply `{"status", "response"}` whatever it is."""
        ref = self.next_ref()
        probe = _BroadcastProbe()
        self.connection.endpoint.hub.subscribe(topic, probe)
        self._probes.append((topic, probe))
        channel = ChannelClient(self, topic, ref, probe)
        await self.connection.receive(json.dumps([ref, ref, topic, "phx_join", payload or {}]))
        frame = await self.inbox.take(lambda f: f.is_reply and f.ref == ref, timeout)
        if frame is None:
            raise AssertionError(f"no reply to the join of {topic!r} within {timeout}s")
        return channel, frame.payload

    async def close(self) -> None:
        """Close as a client would: the server ends every channel (terminate "closed")."""
        hub = self.connection.endpoint.hub
        for topic, probe in self._probes:
            hub.unsubscribe(topic, probe)
        self._probes.clear()
        await self.connection.closed_by_transport()


class ChannelClient:
    """A joined channel: push events and assert on what comes back."""

    def __init__(
        self, client: SocketClient, topic: str, join_ref: str, probe: _BroadcastProbe
    ) -> None:
        self.client = client
        self.topic = topic
        self.join_ref = join_ref
        self._probe = probe

    async def push(self, event: str, payload: Any = None) -> str:
        """Send an event; returns its ref for `assert_reply`."""
        ref = self.client.next_ref()
        frame = json.dumps(
            [self.join_ref, ref, self.topic, event, {} if payload is None else payload]
        )
        await self.client.connection.receive(frame)
        return ref

    async def push_binary(self, event: str, payload: bytes) -> str:
        ref = self.client.next_ref()
        fields = [f.encode() for f in (self.join_ref, ref, self.topic, event)]
        await self.client.connection.receive(
            bytes([0, *map(len, fields)]) + b"".join(fields) + payload
        )
        return ref

    async def leave(self, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        ref = await self.push("phx_leave")
        await self.assert_reply(ref, "ok", timeout=timeout)

    async def assert_reply(
        self,
        ref: str,
        status: str = "ok",
        response: Any = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Any:
        """Wait for the reply to `ref`; check its status and (if given) its response."""
        frame = await self.client.inbox.take(
            lambda f: f.is_reply and f.ref == ref and f.topic == self.topic, timeout
        )
        if frame is None:
            raise AssertionError(
                f"no reply to ref {ref} on {self.topic!r} within {timeout}s; "
                f"received: {self._describe()}"
            )
        got_status, got_response = frame.payload["status"], frame.payload["response"]
        if got_status != status or not _matches(response, got_response):
            raise AssertionError(
                f"reply to ref {ref} on {self.topic!r}: expected {status!r} {response!r}, "
                f"got {got_status!r} {got_response!r}"
            )
        return got_response

    async def assert_push(
        self, event: str, payload: Any = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> Any:
        """Wait for `event` pushed to this client on this topic (a push or a broadcast)."""
        frame = await self.client.inbox.take(
            self._push_of(event, payload),
            timeout,
        )
        if frame is None:
            raise AssertionError(
                f"expected a push of {event!r} {payload if payload is not None else ''} on "
                f"{self.topic!r} within {timeout}s; received: {self._describe()}"
            )
        return frame.payload

    def _push_of(self, event: str, payload: Any) -> Callable[[ReceivedFrame], bool]:
        def match(frame: ReceivedFrame) -> bool:
            return (
                not frame.is_reply
                and frame.topic == self.topic
                and frame.event == event
                and _matches(payload, frame.payload)
            )

        return match

    async def refute_push(
        self, event: str, payload: Any = None, *, timeout: float = REFUTE_TIMEOUT
    ) -> None:
        """Assert that no such push arrives within `timeout`. Frames of one connection arrive in
        order, so for a push the server would make *synchronously* before answering something
        you awaited, no wait is needed at all (pass `timeout=0`); work the channel does later
        needs the wait."""
        frame = await self.client.inbox.take(
            self._push_of(event, payload),
            timeout,
        )
        if frame is not None:
            raise AssertionError(
                f"unexpected push of {event!r} on {self.topic!r}: {frame.payload!r}"
            )

    async def assert_broadcast(
        self, event: str, payload: Any = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> Any:
        """Wait for `event` broadcast on this topic by anyone (seen at the pub/sub hub)."""
        probe = self._probe
        deadline = time.monotonic() + timeout
        while True:
            for i, message in enumerate(probe.messages):
                if message.event == event and _matches(payload, message.payload):
                    del probe.messages[i]
                    return message.payload
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [(m.event, m.payload) for m in probe.messages]
                raise AssertionError(
                    f"expected a broadcast of {event!r} on {self.topic!r} within {timeout}s; "
                    f"broadcasts seen: {seen!r}"
                )
            probe.changed.clear()
            try:
                await asyncio.wait_for(probe.changed.wait(), remaining)
            except TimeoutError:
                continue

    def _describe(self) -> str:
        frames = [f for f in self.client.inbox.seen if f.topic == self.topic]
        return ", ".join(f"{f.event} {f.payload!r}" for f in frames[-10:]) or "nothing"


async def connect(
    socket: Socket,
    params: dict[str, Any] | None = None,
    *,
    endpoint: Endpoint,
    connect_info: ConnectInfo | None = None,
) -> SocketClient:
    """Run `socket.connect` and open a connection; raises `ConnectRefused` when it refuses."""
    info = connect_info or ConnectInfo()
    try:
        assigns = await maybe_await(socket.connect(dict(params or {}), info))
    except Exception as exc:
        raise ConnectRefused(f"connect raised {exc!r}") from exc
    if assigns is None:
        raise ConnectRefused("connect returned None")
    inbox = _Inbox()
    serializer = serializer_for_vsn("2.0.0")
    assert serializer is not None
    connection = Connection(endpoint, socket, serializer, assigns, _MemoryTransport(inbox), info)
    connection.open(socket.id(SocketInfo(assigns)))
    return SocketClient(connection, inbox)
