"""The SSE transport (the default): `GET <prefix>/sse?token=…&c=<specs>`.

Every patch is an SSE event named `patch` with an id; the browser's own reconnect sends
`Last-Event-ID` and liveui.js adds `last_event_id` when htmx's extension builds a new EventSource.
sse-starlette's own ping task is off (`ping=0`): heartbeats come from the shared ticker.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ..tokens import TokenError
from .connection import LiveConnection
from .errors import SpecError
from .specs import decode_specs

if TYPE_CHECKING:
    from .app import LiveUI

__all__ = ["sse_endpoint"]

log = logging.getLogger("liveui.live")

SEND_TIMEOUT = 30.0


async def sse_endpoint(live: LiveUI, request: Request) -> Response:
    try:
        token = live.read_token(request.query_params.get("token"))
    except TokenError as exc:
        return PlainTextResponse(f"live session refused: {exc.reason}", status_code=403)
    try:
        components = decode_specs(request.query_params.get("c"), limit=live.settings.max_components)
    except SpecError as exc:
        return PlainTextResponse(f"bad component list: {exc}", status_code=400)
    # The browser's own retry sends the header; htmx's rebuilt EventSource only has the query.
    last_event_id = request.headers.get("last-event-id") or request.query_params.get(
        "last_event_id"
    )
    try:
        connection = await live.registry.connect(
            token.user_id, token.session_id, components, last_event_id
        )
    except Exception:
        log.exception("liveui: could not open the live session of user %r", token.user_id)
        return PlainTextResponse("live session could not be loaded; retry", status_code=503)
    return EventSourceResponse(
        _stream(connection, live.settings.retry_ms),
        ping=0,
        send_timeout=SEND_TIMEOUT,
        headers={"Cache-Control": "no-store"},
    )


async def _stream(connection: LiveConnection, retry_ms: int) -> AsyncIterator[ServerSentEvent]:
    try:
        marker = connection.marker()
        yield ServerSentEvent(data=marker.text, event="patch", id=marker.event_id, retry=retry_ms)
        while True:
            for item in await connection.next():
                if item.kind == "patch":
                    yield ServerSentEvent(data=item.text, event="patch", id=item.event_id)
                elif item.kind == "ping":
                    yield ServerSentEvent(comment="ping")
                else:
                    # The client reconnects on its own and replays or resyncs.
                    yield ServerSentEvent(data=item.text, event="liveui-close")
                    return
    finally:
        connection.session.detach(connection)
