"""`GET <prefix>/status`: can this page's live connection come back?

A browser cannot read why a WebSocket handshake or an `EventSource` failed. After a few failed
attempts in a row liveui.js asks here, with the page's live-session token in the
`X-LiveUI-Token` header: 204 (retrying can work: keep trying, or fall back to SSE when the
WebSocket never opened), 403 (the token is forged, expired or revoked — a restart with a new
secret, a logout) or 503 (the node never started): the page then stops retrying and says so.
Cheap on purpose: a signature check and a revocation lookup, no session is touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from .gate import Gate

__all__ = ["status_endpoint"]


async def status_endpoint(request: Request, gate: Gate) -> Response:
    token = gate.token_of(request, "live updates refused")
    if isinstance(token, Response):
        return token
    return Response(status_code=204, headers={"Cache-Control": "no-store"})
