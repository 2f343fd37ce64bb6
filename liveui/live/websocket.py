"""The WebSocket transport: `<prefix>/ws?token=…&c=<specs>&last_event_id=…` for htmx-ext-ws.

Each text frame starts with `<!--live:<id>-->` (liveui.js records it for the next reconnect)
followed by the same out-of-band fragments the SSE transport sends. Incoming text frames are
actions (htmx `ws-send` JSON); the connection is authenticated by its token, so they need no
CSRF header. Missing, forged or revoked tokens and a foreign Origin (`LiveSettings.check_origin`)
are refused before the upgrade (HTTP 403). The server closes with 1013 / 1012, codes after
which htmx-ext-ws reconnects with jitter; a revoked login closes with 1008. A frame
`{"liveui": "pause"}` or `{"liveui": "resume"}` pauses or resumes the session (`visibility`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers, QueryParams
from starlette.websockets import WebSocket, WebSocketDisconnect

from .._utils import start_eagerly
from ..close_codes import CloseCode
from ..errors import Forbidden, SpecError, TokenError
from ..origin import origin_allowed
from ..ws_frames import RAW_FRAMES, encode_text_frame
from .actions import run_event
from .live_connection import LiveConnection, Outgoing
from .request_head import release_request_head
from .specs import decode_specs, parse_json
from .visibility import VISIBILITY_MESSAGES, set_paused

if TYPE_CHECKING:
    from .gate import Gate

__all__ = ["websocket_endpoint"]

log = logging.getLogger("liveui.live")



async def websocket_endpoint(websocket: WebSocket, gate: Gate) -> None:
    registry, settings = gate.registry, gate.settings
    if registry.refuse_if_not_running() is not None:
        await websocket.close(CloseCode.INTERNAL)  # before accept: an HTTP error answer
        return
    # Parsed here, not through `websocket.query_params` / `.headers`: those are cached on the
    # WebSocket object, which lives as long as the tab (~1.2 KB a tab for a token read once);
    # then the scope lets go of them too (`release_request_head`).
    params = QueryParams(websocket.scope["query_string"])
    token_text, specs, last_event_id = (
        params.get("token"), params.get("c"), params.get("last_event_id"))
    del params
    headers = Headers(scope=websocket.scope)
    origin, host = headers.get("origin"), headers.get("host")
    del headers
    release_request_head(websocket.scope)  # read: not held for the tab's life
    scheme = websocket.scope.get("scheme")
    if not origin_allowed(settings.check_origin, origin, host, scheme):
        log.debug("liveui: live websocket refused: origin not allowed")
        await websocket.close(CloseCode.POLICY)  # before accept: the server answers HTTP 403
        return
    try:
        token = gate.tokens.read(token_text)
        components = decode_specs(specs, limit=settings.max_components)
        del token_text, specs
    except (TokenError, SpecError) as exc:
        log.debug("liveui: live websocket refused: %r", str(exc))
        await websocket.close(CloseCode.POLICY)  # before accept: the server answers HTTP 403
        return
    try:
        await registry.authorize(token.user_id, [c for c, _ in components])
    except Forbidden as exc:
        log.info("liveui: live websocket refused: %r", str(exc))
        await websocket.close(CloseCode.POLICY)  # before accept: HTTP 403
        return
    await websocket.accept()
    try:
        connection = await registry.connect(
            token.user_id, token.session_id, components, last_event_id, token.auth
        )
    except Forbidden as exc:
        await websocket.close(CloseCode.POLICY, str(exc)[:120])
        return
    except Exception:
        log.exception("liveui: could not open the live session of user %r", token.user_id)
        await websocket.close(CloseCode.TRY_AGAIN, "live session could not be loaded")
        return
    open_connections = registry.stats.connections
    open_connections["websocket"] += 1
    sender = _Sender(websocket, connection)
    sender.start()
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if not isinstance(text, str):
                continue  # binary frames carry no actions
            if len(text) > settings.max_message_size:
                # The server's ws_max_size refuses far larger frames before reading them.
                await websocket.close(CloseCode.TOO_BIG, "message too large")
                break
            if gate.revocations.is_revoked(token.auth):
                continue  # the session is closing this socket with 1008
            try:
                data = parse_json(text)
            except ValueError:
                continue  # not an action; ignore rather than drop the connection
            if not isinstance(data, dict):
                continue
            kind = data.get("liveui")
            if isinstance(kind, str) and kind in VISIBILITY_MESSAGES:
                status, reason = await set_paused(
                    registry, token.user_id, token.session_id, VISIBILITY_MESSAGES[kind]
                )
                if status != 204:
                    log.debug("liveui: ws %r refused (%s): %r", kind, status, reason)
                continue
            if not gate.allow_action(token.user_id, time.monotonic()):
                await websocket.send_text("<!--live:error too many actions-->")
                continue
            status, reason = await run_event(registry, token.user_id, token.session_id, data)
            if status != 204:
                log.debug("liveui: ws action refused (%s): %r", status, reason)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        connection.direct = None
        await sender.stop()
        connection.session.detach(connection)
        open_connections["websocket"] -= 1


class _DirectWrites:
    """`DirectWriter` of a live WebSocket: patches are sent in the broadcaster's call; a send
    that has to wait is finished, with the ones after it, by the connection's sender task.

    On a server with the raw-frames extension (`liveui.UvicornWebSocketProtocol`) a patch is
    written as a pre-encoded frame, its body encoded once for every tab that gets it, instead
    of through the ASGI `send` and the server's framing; when the connection cannot take it
    now, it goes through `send`, which waits."""

    __slots__ = ("raw_write", "websocket")

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        raw = websocket.scope.get("extensions", {}).get(RAW_FRAMES)
        self.raw_write: Callable[[bytes], bool] | None = raw["write"] if raw else None

    def write_now(self, items: list[Outgoing]) -> Awaitable[None] | None:
        global _last_frame
        raw_write = self.raw_write
        for index, item in enumerate(items):
            if raw_write is not None:
                last_item, frame = _last_frame
                if last_item is not item:  # tabs sharing a session write the same item
                    frame = encode_text_frame(f"<!--live:{item.event_id}-->", item.text)
                    _last_frame = (item, frame)
                if raw_write(frame):
                    continue
            waiting = start_eagerly(self.websocket.send_text(_patch_frame(item)))
            if waiting is not None:
                return self._finish(waiting, items[index + 1:])
        return None

    async def _finish(self, waiting: Awaitable[Any], rest: list[Outgoing]) -> None:
        await waiting
        for item in rest:
            await self.websocket.send_text(_patch_frame(item))


_last_frame: tuple[Outgoing | None, bytes] = (None, b"")
"""The frame of the last patch written raw, by its item (`_DirectWrites.write_now`)."""


def _patch_frame(item: Outgoing) -> str:
    return f"<!--live:{item.event_id}-->{item.text}"


class _Sender:
    """Writes what the broadcaster cannot write in its own call (`_DirectWrites`): the first
    marker, pings, the close, and the rest of a write that has to wait. Its task runs only
    while there is such a thing to write, then ends (`LiveConnection.rest`): an idle tab holds
    no task, coroutine or future."""

    __slots__ = ("connection", "task", "websocket")

    def __init__(self, websocket: WebSocket, connection: LiveConnection) -> None:
        self.websocket = websocket
        self.connection = connection
        self.task: asyncio.Future[None] | None = None

    def start(self) -> None:
        self.task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        self.connection.rest(None)
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _run(self) -> None:
        websocket, connection = self.websocket, self.connection
        try:
            if connection.direct is None:  # the first run: the page learns where it is
                marker = connection.marker()
                await websocket.send_text(f"<!--live:{marker.event_id}-->")
                connection.direct = _DirectWrites(websocket)
            while True:
                items = await connection.next(wait=False)
                if not items:
                    self.task = None
                    connection.rest(self.start)  # in this step: nothing can come in between
                    return
                for item in items:
                    if item.kind == "patch":
                        await websocket.send_text(_patch_frame(item))
                    elif item.kind == "ping":
                        await websocket.send_text("<!--live:ping-->")
                    else:
                        await websocket.close(item.code, item.text[:120])
                        return
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass
