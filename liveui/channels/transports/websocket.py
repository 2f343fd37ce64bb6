"""The WebSocket transport: an ASGI app serving `<mount>/websocket` for one `Socket`.

It negotiates what phoenix.js expects (vsn → serializer or 403, the `authToken` subprotocol
answered with `phoenix`, the Origin check, revoked logins and the per-user connection limit,
all refused with HTTP 403 before any frame), then only moves frames between the client and a
`Connection`. Outbound frames are written at once while the socket takes them; a bounded queue
and a writer task exist only while a connection cannot keep up.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.responses import PlainTextResponse
from starlette.types import Message, Receive, Scope, Send

from ..._utils import start_eagerly
from ...close_codes import CloseCode
from ...origin import origin_allowed
from ...ws_frames import RAW_FRAMES, encode_frame
from ..headers import AsgiHeaders
from ..message import Frame
from ..params import parse_params
from ..serializers import serializer_for_vsn
from ..socket import ConnectInfo, Socket
from ..socket_connection import Connection

if TYPE_CHECKING:
    from ..roles import ConnectionEndpoint as Endpoint

__all__ = ["WebSocketApp", "WebSocketTransport"]

log = logging.getLogger("liveui.channels")

TOKEN_PROTOCOL_PREFIX = "base64url.bearer.phx."


class WebSocketTransport:
    """Bounded outbound queue; overflow policy "disconnect": close with 1013 (client retries).

    A frame for a connection that keeps up is written without a task: the ASGI `send` runs in
    the caller until it would wait, which uvicorn's does only when the socket's buffer is full.
    Only a send that has to wait gets a writer task; it finishes that send, then drains the
    frames queued meanwhile (at most `limit` of them). The ASGI `send` must therefore not depend
    on the task it runs in.

    With the raw-frames extension (`write_frames`, see `ws_frames`) a frame is encoded once per
    broadcast and the bytes are written directly, skipping the server's own framing; and the
    frames a connection gets during one event-loop iteration (a burst of broadcasts) are written
    together at its end, one socket write for all of them (see `_Batch`).
    """

    __slots__ = (
        "_batch",
        "_close",
        "_closing",
        "_limit",
        "_pending",
        "_queue",
        "_send",
        "_write_frames",
        "_writing",
        "close_code",
    )

    def __init__(
        self, send: Send, limit: int, write_frames: Callable[[bytes], bool] | None = None
    ) -> None:
        self._send = send
        self._write_frames = write_frames
        self._batch = _batch_of_running_loop() if write_frames is not None else None
        # Raw frames of this loop iteration: one frame as itself, more as a list. A list per
        # delivery would be a tracked object alive at the collector's runs during a fan-out.
        self._pending: Frame | list[Frame] | None = None
        self._limit = limit
        # Made when a send first has to wait: an empty deque is ~760 B, and most sockets never wait.
        self._queue: deque[Frame] | None = None
        self._writing = False  # a writer task owns the sending; new frames queue behind it
        self._closing = False
        self._close: Message | None = None
        self.close_code: int | None = None

    def send(self, frame: Frame) -> None:
        if self._closing:
            return
        if self._writing:
            queue = self._queue
            if queue is None:
                queue = self._queue = deque()
            if len(queue) >= self._limit:
                self.close(CloseCode.TRY_AGAIN, "outbound queue full")
                return
            queue.append(frame)
            return
        batch = self._batch
        if batch is None:
            self._write(_send_message(frame))
            return
        pending = self._pending
        if pending is None:
            self._pending = frame
            batch.dirty.append(self)  # _Batch.add, inlined: once per delivery of a fan-out
            if not batch.scheduled:
                batch.schedule()
        elif not isinstance(pending, list):
            self._pending = [pending, frame]
        elif len(pending) >= self._limit:
            self.close(CloseCode.TRY_AGAIN, "outbound queue full")
        else:
            pending.append(frame)

    def close(self, code: int, reason: str) -> None:
        if self._closing:
            return
        self.flush()  # what was sent before the close goes out before it
        if self._closing:  # the flush failed and closed
            return
        self._closing = True
        self.close_code = code
        self._queue = None
        message = {"type": "websocket.close", "code": code, "reason": reason}
        if self._writing:
            self._close = message
        else:
            self._write(message)

    def queue_depth(self) -> int:
        pending = self._pending
        queue = self._queue
        held = 0 if pending is None else len(pending) if isinstance(pending, list) else 1
        return (0 if queue is None else len(queue)) + held

    def flush(self) -> None:
        """Write the frames of this loop iteration, in one write; the batch calls it at the end
        of the iteration. A full socket hands them to the queue and a writer task."""
        pending, self._pending = self._pending, None
        if pending is None or self._closing:
            return
        assert self._write_frames is not None
        if not isinstance(pending, list):  # the usual case: one broadcast this iteration
            try:
                data = encode_frame(pending)
            except ValueError as exc:  # text that is not valid UTF-8
                self._failed(exc)
                return
            if self._write_frames(data):
                return
            pending = [pending]
        else:
            parts: list[bytes] = []
            for frame in pending:
                try:
                    parts.append(encode_frame(frame))
                except ValueError as exc:
                    if parts:
                        self._write_frames(b"".join(parts))
                    self._failed(exc)
                    return
            if self._write_frames(b"".join(parts)):
                return
        queue = self._queue
        if queue is None:
            queue = self._queue = deque()
        queue.extend(pending)
        while queue and not self._writing and not self._closing:
            self._write(_send_message(queue.popleft()))

    def _write(self, message: Message) -> None:
        """Send now; if the send has to wait, a writer task finishes it and owns the queue."""
        try:
            rest = start_eagerly(self._send(message))
        except Exception as exc:
            self._failed(exc)
            return
        if rest is not None:
            self._writing = True
            asyncio.get_running_loop().create_task(self._finish(rest))

    async def _finish(self, rest: Awaitable[Any]) -> None:
        send = self._send
        failure: Exception | None = None
        try:
            await rest
            # The queue may be made, or dropped by a close, while a send waits.
            while self._queue:
                await send(_send_message(self._queue.popleft()))
            if self._close is not None:
                message, self._close = self._close, None
                await send(message)
        except Exception as exc:
            failure = exc
        finally:
            self._writing = False
        if failure is not None:
            self._failed(failure)

    def _failed(self, exc: Exception) -> None:
        already_closing, self._closing = self._closing, True
        self._queue = None
        self._pending = None
        self._close = None
        if isinstance(exc, OSError) or already_closing:
            return  # a vanished peer: the read loop sees the disconnect and cleans up
        # Not a vanished peer but a frame the server could not send (e.g. text that is not
        # valid UTF-8): close so the client reconnects, instead of a silent socket.
        log.error("liveui: could not send a frame, closing with 1011: %r", exc)
        self._write(
            {
                "type": "websocket.close",
                "code": CloseCode.INTERNAL,
                "reason": "server could not send a frame",
            }
        )


class _Batch:
    """The connections that got raw frames during this event-loop iteration, flushed together
    by one callback at its end: one socket write per connection however many broadcasts it got,
    and no task or timer per connection."""

    __slots__ = ("_loop", "dirty", "scheduled")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.dirty: list[WebSocketTransport] = []
        self.scheduled = False

    def schedule(self) -> None:
        """Flush `dirty` at the end of this loop iteration."""
        self.scheduled = True
        self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self.scheduled = False
        dirty, self.dirty = self.dirty, []
        for transport in dirty:
            try:
                transport.flush()
            except Exception:
                log.exception("liveui: flushing a connection failed")


_batches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Batch] = (
    weakref.WeakKeyDictionary()
)


def _batch_of_running_loop() -> _Batch:
    loop = asyncio.get_running_loop()
    batch = _batches.get(loop)
    if batch is None:
        batch = _batches[loop] = _Batch(loop)
    return batch


def _send_message(frame: Frame) -> Message:
    if type(frame) is str:
        return {"type": "websocket.send", "text": frame}
    return {"type": "websocket.send", "bytes": frame}


class WebSocketApp:
    """ASGI app for one socket handler; mount it with `Endpoint.mount(path, socket)`."""

    def __init__(self, endpoint: Endpoint, handler: Socket) -> None:
        self.endpoint = endpoint
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            response = PlainTextResponse("WebSocket upgrade required", status_code=400)
            await response(scope, receive, send)
            return
        if not scope.get("path", "").rstrip("/").endswith("/websocket"):
            await send({"type": "websocket.close", "code": 1008})
            return
        await receive()  # websocket.connect
        accepted = await self._handshake(scope, send)
        if accepted is None:
            return
        connection = accepted
        try:
            while True:
                message = await receive()
                kind = message["type"]
                if kind == "websocket.receive":
                    text = message.get("text")
                    data = text if text is not None else message.get("bytes") or b""
                    await connection.receive(data)
                elif kind == "websocket.disconnect":
                    break
        finally:
            await connection.closed_by_transport()

    async def _handshake(self, scope: Scope, send: Send) -> Connection | None:
        headers = AsgiHeaders(scope.get("headers", ()))
        params = parse_params(scope.get("query_string", b"").decode("latin-1"))
        vsn = params.pop("vsn", None)
        serializer = serializer_for_vsn(vsn if isinstance(vsn, str) else None)
        if serializer is None:
            await _refuse(send, f"unsupported vsn {vsn!r}")
            return None
        origin = headers.get("origin")
        check = self.endpoint.settings.check_origin
        if not origin_allowed(check, origin, headers.get("host"), scope.get("scheme")):
            await _refuse(send, "origin not allowed")
            return None
        offered: list[str] = list(scope.get("subprotocols") or [])
        info = ConnectInfo(
            headers=headers,
            peer=tuple(scope["client"]) if scope.get("client") else None,  # type: ignore[arg-type]
            origin=origin,
            auth_token=_token_from_subprotocols(offered),
            path=scope.get("path", ""),
        )
        accepted = await self.endpoint.authenticate(self.handler, params, info)
        if isinstance(accepted, str):
            await _refuse(send, accepted)
            return None
        assigns, socket_id = accepted
        subprotocol = "phoenix" if "phoenix" in offered else None
        await send({"type": "websocket.accept", "subprotocol": subprotocol})
        raw_frames = scope.get("extensions", {}).get(RAW_FRAMES)
        transport = WebSocketTransport(
            send,
            self.endpoint.settings.outbound_queue_size,
            raw_frames["write"] if raw_frames else None,
        )
        connection = Connection(self.endpoint, self.handler, serializer, assigns, transport, info)
        connection.open(socket_id)
        return connection


async def _refuse(send: Send, why: str) -> None:
    """Close before accepting: the ASGI server answers the upgrade with HTTP 403."""
    log.debug("liveui: websocket refused: %r", why)
    await send({"type": "websocket.close", "code": 1008, "reason": why[:120]})


def _token_from_subprotocols(offered: list[str]) -> str | None:
    for proto in offered:
        if proto.startswith(TOKEN_PROTOCOL_PREFIX):
            encoded = proto[len(TOKEN_PROTOCOL_PREFIX) :]
            try:
                # phoenix.js uses the standard alphabet without padding, despite the name.
                padded = encoded + "=" * (-len(encoded) % 4)
                return base64.b64decode(padded.replace("-", "+").replace("_", "/")).decode()
            except (binascii.Error, UnicodeDecodeError, ValueError):
                return None
    return None
