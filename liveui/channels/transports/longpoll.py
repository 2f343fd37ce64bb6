"""The LongPoll transport: `<mount>/longpoll`, for clients whose WebSocket cannot get through
(phoenix.js's `LongPoll`, and its `longPollFallbackMs` switch).

A *poll session* is server state standing in for an open WebSocket: a `Connection` (the same
protocol engine, auth, serializers, channels and limits), a bounded buffer of outbound frames
and at most one waiting poll. Every answer is HTTP 200 with a JSON body whose `status` the
client reads:

- `GET` without a token: run `Socket.connect`; `410` + a new token opens the session (`403`
  when connect refuses, the Origin is not allowed or the `vsn` is unknown).
- `GET ?token=`: `200` + the buffered frames (serialized frame strings, base64 for binary), or
  wait up to `longpoll_window` seconds for some, else `204`. `410` when the session is gone:
  the client reconnects with a new one.
- `POST ?token=`: up to 100 frames, one per line (ndjson); `200`, or `410` when gone.

No timer or task runs per session: the node's ticker ends polls whose window passed and closes
sessions not polled for `longpoll_session_timeout` seconds. A session lives on the node that
created it: behind several nodes, route a session's requests to one node (sticky sessions).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import secrets
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from starlette.types import Receive, Scope, Send

from ...close_codes import CloseCode
from ...origin import origin_allowed
from ..message import Frame
from ..params import parse_params
from ..serializers import serializer_for_vsn
from ..socket import ConnectInfo, Socket
from ..socket_connection import Connection

if TYPE_CHECKING:
    from ..roles import ConnectionEndpoint as Endpoint

__all__ = ["MAX_BATCH", "LongPollApp", "LongPollSession"]

log = logging.getLogger("liveui.channels")

MAX_BATCH = 100
"""Frames one POST may carry (phoenix.js sends at most 100 per request)."""
AUTH_TOKEN_HEADER = "x-phoenix-authtoken"
SESSION_TOKEN_PREFIX = "lp1."
"""Marks poll session tokens apart from an application's own `token` param."""

# What a waiting poll is woken with.
_FRAMES, _TIMEOUT, _CLOSED, _REPLACED = "frames", "timeout", "closed", "replaced"


class LongPollSession:
    """One poll session: the `Transport` of its `Connection`, plus the waiting poll."""

    __slots__ = (
        "_app",
        "close_code",
        "closed",
        "connection",
        "frames",
        "last_active",
        "limit",
        "poll_deadline",
        "token",
        "waiter",
    )

    def __init__(self, app: LongPollApp, token: str, limit: int) -> None:
        self._app = app
        self.token = token
        self.limit = limit
        self.frames: deque[str] = deque()
        self.waiter: asyncio.Future[str] | None = None
        self.poll_deadline = 0.0
        self.last_active = time.monotonic()
        self.closed = False
        self.close_code: int | None = None
        self.connection: Connection | None = None

    # Transport -----------------------------------------------------------------------------
    def send(self, frame: Frame) -> None:
        if self.closed:
            return
        if len(self.frames) >= self.limit:
            self.close(CloseCode.TRY_AGAIN, "outbound queue full")  # the client reconnects
            return
        if isinstance(frame, bytes):
            frame = base64.b64encode(frame).decode()
        self.frames.append(frame)
        self._wake(_FRAMES)

    def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        log.debug("liveui: long-poll session closed (%s %r)", code, reason)
        self.closed = True
        self.close_code = code
        self.frames.clear()
        self._wake(_CLOSED)
        self._app.forget(self)

    def queue_depth(self) -> int:
        return len(self.frames)

    # polls -----------------------------------------------------------------------------------
    def _wake(self, why: str) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(why)

    def take_frames(self) -> list[str]:
        frames = list(self.frames)
        self.frames.clear()
        return frames


class LongPollApp:
    """ASGI app answering `<mount>/longpoll` for one socket handler."""

    def __init__(self, endpoint: Endpoint, handler: Socket) -> None:
        self.endpoint = endpoint
        self.handler = handler
        self.sessions: dict[str, LongPollSession] = {}
        self._closing: set[asyncio.Task[None]] = set()
        endpoint.node.ticker.add(self._tick)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        params = parse_params(scope.get("query_string", b"").decode("latin-1"))
        # phoenix.js appends `token=<session>` after the app's own params, which may hold a
        # `token` of their own: the last one wins, and only a session token is taken as one.
        token = params.get("token")
        session_token = token if isinstance(token, str) and _is_session_token(token) else None
        method = scope.get("method", "GET")
        if method == "GET":
            if session_token is not None:
                await self._poll(session_token, receive, send)
            else:
                await self._open(scope, params, send)
        elif method == "POST":
            await self._publish(session_token or "", receive, send)
        else:
            await _answer(send, {"status": 405}, http_status=405)

    # opening ---------------------------------------------------------------------------------
    async def _open(self, scope: Scope, params: dict[str, Any], send: Send) -> None:
        """Authenticate as the WebSocket upgrade does; the answer opens the client's socket."""
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        vsn = params.pop("vsn", None)
        serializer = serializer_for_vsn(vsn if isinstance(vsn, str) else None)
        origin = headers.get("origin")
        # A browser sends Origin with every cross-origin request (and may omit it on a
        # same-origin GET), so a missing one cannot be a foreign page.
        allowed = origin is None or origin_allowed(
            self.endpoint.settings.check_origin, origin, headers.get("host"), scope.get("scheme")
        )
        if serializer is None or not allowed:
            log.debug("liveui: long-poll refused: vsn %r, origin %r", vsn, origin)
            await _answer(send, {"status": 403})
            return
        info = ConnectInfo(
            headers=headers,
            peer=tuple(scope["client"]) if scope.get("client") else None,  # type: ignore[arg-type]
            origin=origin,
            auth_token=headers.get(AUTH_TOKEN_HEADER),
            path=scope.get("path", ""),
        )
        accepted = await self.endpoint.authenticate(self.handler, params, info)
        if isinstance(accepted, str):
            log.debug("liveui: long-poll refused: %r", accepted)
            await _answer(send, {"status": 403})
            return
        assigns, socket_id = accepted
        session = LongPollSession(
            self, SESSION_TOKEN_PREFIX + secrets.token_urlsafe(24),
            self.endpoint.settings.outbound_queue_size,
        )
        connection = Connection(self.endpoint, self.handler, serializer, assigns, session, info)
        session.connection = connection
        self.sessions[session.token] = session
        connection.open(socket_id)
        await _answer(send, {"status": 410, "token": session.token})

    # polling ---------------------------------------------------------------------------------
    async def _poll(self, token: str, receive: Receive, send: Send) -> None:
        session = self.sessions.get(token)
        if session is None or session.closed:
            await _answer(send, {"status": 410})
            return
        now = time.monotonic()
        session.last_active = now
        assert session.connection is not None
        session.connection.last_seen = now  # polls are the heartbeats of this transport
        if not session.frames:
            why = await self._wait(session, receive, now)
            if why is None:  # the client went away mid-poll: it abandons this session
                session.close(CloseCode.GOING_AWAY, "poll aborted")
                return
            if why == _CLOSED:
                await _answer(send, {"status": 410})
                return
            if why == _REPLACED:  # a newer poll of the session takes the frames
                await _answer(send, {"status": 204, "token": token})
                return
        session.last_active = time.monotonic()
        frames = session.take_frames()
        if frames:
            await _answer(send, {"status": 200, "token": token, "messages": frames})
        else:
            await _answer(send, {"status": 204, "token": token})

    async def _wait(self, session: LongPollSession, receive: Receive, now: float) -> str | None:
        """Wait for frames, the window's end (the ticker) or the session's end; None when the
        client disconnected first."""
        if session.waiter is not None and not session.waiter.done():
            session.waiter.set_result(_REPLACED)  # one poll at a time: the newest wins
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[str] = loop.create_future()
        session.waiter = waiter
        session.poll_deadline = now + self.endpoint.settings.longpoll_window
        gone = loop.create_task(_disconnected(receive))
        try:
            await asyncio.wait((waiter, gone), return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            if session.waiter is waiter:
                session.waiter = None
        if waiter.done():
            return waiter.result()
        return None

    # client frames ---------------------------------------------------------------------------
    async def _publish(self, token: str, receive: Receive, send: Send) -> None:
        session = self.sessions.get(token)
        if session is None or session.closed:
            await _answer(send, {"status": 410})
            return
        connection = session.connection
        assert connection is not None
        limit = MAX_BATCH * (self.endpoint.settings.max_frame_size + 1)
        body = await _read_body(receive, limit)
        if body is None:
            connection.close(CloseCode.TOO_BIG, "request too large")
            await _answer(send, {"status": 410})
            return
        lines = [line for line in body.split(b"\n") if line.strip()]
        if len(lines) > MAX_BATCH:
            connection.close(CloseCode.POLICY, f"more than {MAX_BATCH} frames in one request")
            await _answer(send, {"status": 410})
            return
        session.last_active = time.monotonic()
        for line in lines:
            frame = _frame_of(line.strip())
            if frame is None:
                connection.close(CloseCode.INVALID_DATA, "undecodable frame")
                break
            await connection.receive(frame)
            if session.closed:
                break
        await _answer(send, {"status": 410 if session.closed else 200})

    # the shared ticker -----------------------------------------------------------------------
    def _tick(self, now: float) -> None:
        window_over: list[LongPollSession] = []
        expired: list[LongPollSession] = []
        timeout = self.endpoint.settings.longpoll_session_timeout
        for session in self.sessions.values():
            waiter = session.waiter
            if waiter is not None and not waiter.done():
                if now >= session.poll_deadline:
                    window_over.append(session)
                elif session.connection is not None:
                    session.connection.last_seen = now  # a waiting poll is a live client
            elif now - session.last_active > timeout:
                expired.append(session)
        for session in window_over:
            session._wake(_TIMEOUT)
        for session in expired:
            session.close(CloseCode.GOING_AWAY, "poll session expired")

    def forget(self, session: LongPollSession) -> None:
        """A closed session: forget its token and end its channels (as a closed WebSocket)."""
        self.sessions.pop(session.token, None)
        connection = session.connection
        if connection is not None and not connection.closed:
            with contextlib.suppress(RuntimeError):  # no running loop: nothing to end
                task = asyncio.get_running_loop().create_task(connection.closed_by_transport())
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)


def _is_session_token(token: str) -> bool:
    return token.startswith(SESSION_TOKEN_PREFIX)


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None when it is larger than `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _frame_of(line: bytes) -> Frame | None:
    """A JSON frame is text; anything else is a binary frame in base64 (as phoenix.js sends)."""
    if line[:1] in (b"[", b"{"):
        try:
            return line.decode()
        except UnicodeDecodeError:
            return None
    try:
        return base64.b64decode(line, validate=True)
    except (binascii.Error, ValueError):
        return None


async def _answer(send: Send, body: dict[str, Any], http_status: int = 200) -> None:
    data = json.dumps(body, separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": http_status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})
