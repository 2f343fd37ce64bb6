"""The WebSocket transport: an ASGI app serving `<mount>/websocket` for one `Socket`.

It negotiates what phoenix.js expects (vsn → serializer or 403, the `authToken` subprotocol
answered with `phoenix`, the Origin check, revoked logins and the per-user connection limit,
all refused with HTTP 403 before any frame), then only moves frames between the client and a
`Connection`. Outbound frames go through a bounded queue drained by a task that exists only
while frames are waiting.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
from collections import deque
from typing import TYPE_CHECKING

from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from ..._utils import maybe_await
from ...close_codes import CloseCode
from ...origin import origin_allowed
from ..connection import Connection
from ..message import Frame
from ..params import parse_params
from ..serializers import serializer_for_vsn
from ..socket import ConnectInfo, Socket, SocketInfo

if TYPE_CHECKING:
    from ..endpoint import Endpoint

__all__ = ["WebSocketApp", "WebSocketTransport"]

log = logging.getLogger("liveui.channels")

TOKEN_PROTOCOL_PREFIX = "base64url.bearer.phx."


class WebSocketTransport:
    """Bounded outbound queue; overflow policy "disconnect": close with 1013 (client retries)."""

    __slots__ = ("_close", "_closing", "_flushing", "_limit", "_queue", "_send")

    def __init__(self, send: Send, limit: int) -> None:
        self._send = send
        self._limit = limit
        self._queue: deque[Frame] = deque()
        self._flushing = False
        self._closing = False
        self._close: tuple[int, str] | None = None

    def send(self, frame: Frame) -> None:
        if self._closing:
            return
        queue = self._queue
        if len(queue) >= self._limit:
            self.close(CloseCode.TRY_AGAIN, "outbound queue full")
            return
        queue.append(frame)
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())

    def close(self, code: int, reason: str) -> None:
        if self._closing:
            return
        self._closing = True
        self._queue.clear()
        self._close = (code, reason)
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        send, queue = self._send, self._queue
        try:
            while queue:
                frame = queue.popleft()
                if type(frame) is str:
                    await send({"type": "websocket.send", "text": frame})
                else:
                    await send({"type": "websocket.send", "bytes": frame})
            if self._close is not None:
                code, reason = self._close
                self._close = None
                await send({"type": "websocket.close", "code": code, "reason": reason})
        except Exception as exc:
            self._closing = True
            queue.clear()
            if not isinstance(exc, OSError):
                # Not a vanished peer but a frame the server could not send (e.g. text that is
                # not valid UTF-8): close so the client reconnects, instead of a silent socket.
                log.error("liveui: could not send a frame, closing with 1011: %r", exc)
                with contextlib.suppress(Exception):
                    await send(
                        {
                            "type": "websocket.close",
                            "code": CloseCode.INTERNAL,
                            "reason": "server could not send a frame",
                        }
                    )
            # A vanished peer: the read loop sees the disconnect and cleans up.
        finally:
            self._flushing = False


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
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        params = parse_params(scope.get("query_string", b"").decode("latin-1"))
        vsn = params.pop("vsn", None)
        serializer = serializer_for_vsn(vsn if isinstance(vsn, str) else None)
        if serializer is None:
            await _refuse(send, f"unsupported vsn {vsn!r}")
            return None
        origin = headers.get("origin")
        if not origin_allowed(self.endpoint.settings.check_origin, origin, headers.get("host")):
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
        try:
            assigns = await maybe_await(self.handler.connect(params, info))
        except Exception as exc:
            log.info("liveui: connect refused by an exception: %r", exc)
            assigns = None
        if assigns is None:
            await _refuse(send, "connect refused")
            return None
        if not isinstance(assigns, dict):
            raise TypeError("Socket.connect must return a dict of assigns or None")
        socket_id = self.handler.id(SocketInfo(assigns))
        refusal = self.endpoint.refusal(assigns, socket_id)
        if refusal is not None:
            await _refuse(send, refusal)
            return None
        subprotocol = "phoenix" if "phoenix" in offered else None
        await send({"type": "websocket.accept", "subprotocol": subprotocol})
        transport = WebSocketTransport(send, self.endpoint.settings.outbound_queue_size)
        connection = Connection(self.endpoint, self.handler, serializer, assigns, transport, info)
        connection.open(socket_id)
        return connection


async def _refuse(send: Send, why: str) -> None:
    """Close before accepting: the ASGI server answers the upgrade with HTTP 403."""
    log.debug("liveui: websocket refused: %s", why)
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
