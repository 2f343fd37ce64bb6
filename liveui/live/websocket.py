"""The WebSocket transport: `<prefix>/ws?token=…&c=<specs>&last_event_id=…` for htmx-ext-ws.

Each text frame starts with `<!--live:<id>-->` (liveui.js records it for the next reconnect)
followed by the same out-of-band fragments the SSE transport sends. Incoming text frames are
actions (htmx `ws-send` JSON); the connection is authenticated by its token, so they need no
CSRF header. Missing or forged tokens are refused before the upgrade (HTTP 403). The server
closes with 1013 / 1012, codes after which htmx-ext-ws reconnects with jitter.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import TYPE_CHECKING

from starlette.websockets import WebSocket, WebSocketDisconnect

from ..close_codes import CloseCode
from ..errors import Forbidden, SpecError, TokenError
from .actions import run_event
from .connection import LiveConnection
from .specs import decode_specs

if TYPE_CHECKING:
    from .registry import SessionRegistry
    from .session_token import SessionTokens

__all__ = ["websocket_endpoint"]

log = logging.getLogger("liveui.live")

MAX_MESSAGE = 64 * 1024


async def websocket_endpoint(
    websocket: WebSocket, registry: SessionRegistry, tokens: SessionTokens
) -> None:
    params = websocket.query_params
    try:
        token = tokens.read(params.get("token"))
        components = decode_specs(params.get("c"), limit=registry.settings.max_components)
    except (TokenError, SpecError) as exc:
        log.debug("liveui: live websocket refused: %s", exc)
        await websocket.close(CloseCode.POLICY)  # before accept: the server answers HTTP 403
        return
    try:
        await registry.authorize(token.user_id, [c for c, _ in components])
    except Forbidden as exc:
        log.info("liveui: live websocket refused: %s", exc)
        await websocket.close(CloseCode.POLICY)  # before accept: HTTP 403
        return
    await websocket.accept()
    try:
        connection = await registry.connect(
            token.user_id, token.session_id, components, params.get("last_event_id")
        )
    except Forbidden as exc:
        await websocket.close(CloseCode.POLICY, str(exc)[:120])
        return
    except Exception:
        log.exception("liveui: could not open the live session of user %r", token.user_id)
        await websocket.close(CloseCode.TRY_AGAIN, "live session could not be loaded")
        return
    sender = asyncio.ensure_future(_send(websocket, connection))
    try:
        while True:
            text = await websocket.receive_text()
            if len(text) > MAX_MESSAGE:
                await websocket.send_text("<!--live:error message too large-->")
                continue
            try:
                data = json.loads(text)
            except ValueError:
                continue  # not an action; ignore rather than drop the connection
            if isinstance(data, dict):
                status, reason = await run_event(registry, token.user_id, token.session_id, data)
                if status != 204:
                    log.info("liveui: ws action refused (%s): %s", status, reason)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
        connection.session.detach(connection)


async def _send(websocket: WebSocket, connection: LiveConnection) -> None:
    try:
        marker = connection.marker()
        await websocket.send_text(f"<!--live:{marker.event_id}-->")
        while True:
            for item in await connection.next():
                if item.kind == "patch":
                    await websocket.send_text(f"<!--live:{item.event_id}-->{item.text}")
                elif item.kind == "ping":
                    await websocket.send_text("<!--live:ping-->")
                else:
                    await websocket.close(item.code, item.text[:120])
                    return
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass
