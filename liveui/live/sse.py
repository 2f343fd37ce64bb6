"""The SSE transport (the default): `GET <prefix>/sse?token=…&c=<specs>`.

Every patch is an SSE event named `patch` with an id; the browser's own reconnect sends
`Last-Event-ID` and liveui.js adds `last_event_id` when htmx's extension builds a new EventSource.
Heartbeats come from the shared ticker, never from a timer of the stream's own.

Patches are encoded here (`encode_patch`); sse-starlette encodes the rest (`ServerSentEvent`)
and signals shutdown (`AppStatus`). The stream is a small ASGI response of liveui's own rather
than its `EventSourceResponse`,
which runs a task group of three tasks per stream and a cancel scope per send: measured with
`bench.live_sessions`, that cost ~13 KB and a third of the CPU per patch. Here the request's own
task writes (and the broadcaster, in its own call, while the stream is idle), the client's
leaving is noticed without a task (`DisconnectWatch`), and one poller per event loop ends every
stream when the server shuts down (the signals sse-starlette watches).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import weakref
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from sse_starlette import ServerSentEvent
from sse_starlette.sse import AppStatus
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from .._server.uvicorn_exit import uvicorn_exiting
from .._utils import start_eagerly
from ..errors import Forbidden, SpecError, TokenError
from .disconnect_watch import DisconnectWatch
from .live_connection import LiveConnection, Outgoing
from .request_head import release_request_head
from .specs import decode_specs

if TYPE_CHECKING:
    from .gate import Gate

__all__ = ["EventStream", "SSEApp", "encode_patch", "sse_endpoint"]

log = logging.getLogger("liveui.live")

SEND_TIMEOUT = 30.0
"""Seconds one write may wait for a client that reads nothing before the stream is dropped."""
SHUTDOWN_POLL = 0.5

_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"connection", b"keep-alive"),
    (b"x-accel-buffering", b"no"),  # nginx must not buffer the stream
    (b"content-type", b"text/event-stream; charset=utf-8"),
]
_PING = b": ping\r\n\r\n"


class SSEApp:
    """The SSE endpoint as a bare ASGI app for its route. Starlette's wrapper for endpoint
    functions keeps its frames, closures and the `Request` alive for as long as the response
    runs — the life of the tab; here only the `EventStream` is."""

    __slots__ = ("gate",)

    def __init__(self, gate: Gate) -> None:
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await sse_endpoint(Request(scope, receive), self.gate)
        if isinstance(response, EventStream):
            release_request_head(scope)  # read: not held for the tab's life
        await response(scope, receive, send)


async def sse_endpoint(request: Request, gate: Gate) -> Response | EventStream:
    registry = gate.registry
    not_running = registry.refuse_if_not_running()
    if not_running is not None:
        return PlainTextResponse(not_running, status_code=503)
    try:
        token = gate.tokens.read(request.query_params.get("token"))
    except TokenError as exc:
        return PlainTextResponse(f"live session refused: {exc.reason}", status_code=403)
    try:
        components = decode_specs(
            request.query_params.get("c"), limit=registry.settings.max_components
        )
    except SpecError as exc:
        log.debug("liveui: bad component list: %r", str(exc))
        return PlainTextResponse(f"bad component list: {exc}", status_code=400)
    # The browser's own retry sends the header; htmx's rebuilt EventSource only has the query.
    header_id = request.headers.get("last-event-id")
    query_id = request.query_params.get("last_event_id")
    last_event_id = header_id or query_id
    if header_id and header_id != query_id and not header_id.endswith("-0"):
        # The browser's retry reuses the URL of its first connect: those etags describe the page
        # before the patches it got since, so a session rebuilt here (after a restart, on
        # another node) must not trust them, or a value back at the page's first one stays wrong.
        components = [(component, None) for component, _ in components]
    try:
        connection = await registry.connect(
            token.user_id, token.session_id, components, last_event_id, token.auth
        )
    except Forbidden as exc:
        return PlainTextResponse(f"live session refused: {exc}", status_code=403)
    except Exception:
        log.exception("liveui: could not open the live session of user %r", token.user_id)
        return PlainTextResponse("live session could not be loaded; retry", status_code=503)
    return EventStream(connection, registry.settings.retry_ms)


_last_event: tuple[Outgoing | None, bytes] = (None, b"")
"""The last patch encoded, by its item: the tabs sharing a session write the same item."""


def _encode(item: Outgoing) -> bytes:
    global _last_event
    if item.kind == "patch":
        last_item, event = _last_event
        if last_item is not item:
            event = encode_patch(item.event_id, item.text)
            _last_event = (item, event)
        return event
    if item.kind == "ping":
        return _PING
    return ServerSentEvent(item.text, event="liveui-close").encode()


def encode_patch(event_id: str, text: str) -> bytes:
    """One `patch` event. Written here rather than with `ServerSentEvent`, which is general
    (any field may hold anything) and costs several times more per patch; ids are ours
    (`<epoch>-<seq>`, no line breaks), and every line of the text gets its `data:` field.
    Lines end in CRLF, as sse-starlette writes them (readers that split on it keep working)."""
    return b"".join((b"event: patch\r\nid: ", event_id.encode(), b"\r\ndata: ", _data(text)))


@functools.lru_cache(maxsize=1024)
def _data(text: str) -> bytes:
    # The same patch goes to many tabs (one user's, or everyone's table): encoded once.
    if "\r" in text:  # an SSE line ends at CR, LF or CRLF: make them all LF first
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return (text.replace("\n", "\r\ndata: ") + "\r\n\r\n").encode()


class EventStream:
    """The ASGI response streaming one `LiveConnection` until it closes or the client leaves."""

    __slots__ = ("_ended", "_send_body", "_writer", "connection", "retry_ms")

    def __init__(self, connection: LiveConnection, retry_ms: int) -> None:
        self.connection = connection
        self.retry_ms = retry_ms
        self._ended = False  # set before this stream's own cancellation (disconnect, shutdown)
        self._send_body: Send | None = None
        self._writer: asyncio.Task[Any] | None = None  # the task running __call__

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        connection = self.connection
        open_connections = connection.session.stats.connections
        open_connections["sse"] += 1
        try:
            await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
            if scope.get("method", "GET").upper() == "HEAD":  # headers only: no stream
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            task = self._writer = asyncio.current_task()
            assert task is not None
            watch = DisconnectWatch(receive, self._client_left)
            streams = _open_streams()
            streams[task] = self
            try:
                await self._stream(send)
            except asyncio.CancelledError:
                if not self._ended or task.uncancel() > 0:
                    raise  # cancelled from outside (e.g. uvicorn's graceful-shutdown timeout)
                await _complete(send)
            finally:
                connection.direct = None
                streams.pop(task, None)
                watch.stop()
                self._writer = None  # no cycle through the finished task
        finally:
            connection.session.detach(connection)
            open_connections["sse"] -= 1

    async def _stream(self, send: Send) -> None:
        connection = self.connection
        marker = connection.marker()
        first = ServerSentEvent(
            marker.text, event="patch", id=marker.event_id, retry=self.retry_ms
        ).encode()
        await self._send(send, first)
        del first
        self._send_body = send
        connection.direct = self  # from now on patches may be written by the broadcaster
        while True:
            items = await connection.next()
            closing = items[-1].kind == "close"
            body = b"".join(_encode(item) for item in items)
            del items  # not held while waiting for the next ones
            await self._send(send, body)
            del body
            if closing:
                # The client reconnects on its own and replays or resyncs.
                self._ended = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return

    def write_now(self, items: list[Outgoing]) -> Awaitable[None] | None:
        """`DirectWriter`: write in the caller; a write that has to wait is finished by this
        stream's task (`LiveConnection.next`), under the send timeout."""
        send = self._send_body
        assert send is not None
        waiting = start_eagerly(send(_more(b"".join(_encode(item) for item in items))))
        return None if waiting is None else _finish_within(waiting, SEND_TIMEOUT)

    @staticmethod
    async def _send(send: Send, body: bytes) -> None:
        # A client that keeps up takes the write at once: no timer is armed for it. Only a
        # write that has to wait (the socket's buffer is full) gets the timeout.
        waiting = start_eagerly(send(_more(body)))
        if waiting is not None:
            await _finish_within(waiting, SEND_TIMEOUT)

    def _client_left(self) -> None:
        assert self._writer is not None
        self.end(self._writer)

    def end(self, writer: asyncio.Task[Any]) -> None:
        if not self._ended:
            self._ended = True
            writer.cancel()


def _more(body: bytes) -> dict[str, Any]:
    return {"type": "http.response.body", "body": body, "more_body": True}


async def _complete(send: Send) -> None:
    """End the response of a stream this module stopped (the server is shutting down, or the
    client left): uvicorn logs an error for every response left open, one per tab at a
    restart. A client gone or not reading is not waited for."""
    with contextlib.suppress(Exception):
        waiting = start_eagerly(send({"type": "http.response.body", "body": b"",
                                      "more_body": False}))
        if waiting is not None:
            await _finish_within(waiting, SHUTDOWN_POLL)


async def _finish_within(waiting: Awaitable[Any], seconds: float) -> None:
    async with asyncio.timeout(seconds):
        await waiting


# shutdown --------------------------------------------------------------------------------------
class _OpenStreams(dict[asyncio.Task[Any], EventStream]):
    """The open streams of one event loop, and that loop's one shutdown poller."""

    poller: asyncio.Task[None] | None = None


_streams: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _OpenStreams] = (
    weakref.WeakKeyDictionary()
)


def _open_streams() -> _OpenStreams:
    loop = asyncio.get_running_loop()
    streams = _streams.get(loop)
    if streams is None:
        streams = _streams[loop] = _OpenStreams()
    if streams.poller is None or streams.poller.done():
        streams.poller = loop.create_task(_watch_shutdown(streams), name="liveui-sse-shutdown")
    return streams


async def _watch_shutdown(streams: _OpenStreams) -> None:
    """End every stream when the server exits: uvicorn waits for open responses before it
    runs the lifespan shutdown, so without this an SSE stream would hold the process."""
    while True:
        await asyncio.sleep(SHUTDOWN_POLL)
        if not streams:
            return  # the next stream starts a new poller
        if _exiting():
            for task, stream in list(streams.items()):
                stream.end(task)
            return


def _exiting() -> bool:
    if AppStatus.should_exit:  # sse-starlette's hook on uvicorn's signal handler
        return True
    if not AppStatus.enable_automatic_graceful_drain:
        return False
    return uvicorn_exiting()
