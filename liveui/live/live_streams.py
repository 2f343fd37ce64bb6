"""`LiveStreams`: the live streams answered ahead of the app's own middleware.

    app = Starlette(routes=[...], middleware=[
        Middleware(LiveStreams, live=live),     # first: outside the app's other middleware
        Middleware(SessionMiddleware, ...), ...])

A live stream (`<prefix>/sse`, `<prefix>/ws`) is held open for the life of a tab. Through the
app's middleware, every layer keeps its frame, its wrapped `send` and what it decoded (a session
cookie's dict) alive for that long, and each of the tab's writes passes through each wrapper: on
the demo (five layers) ~6 KB and ~10% of the server's CPU per tab (docs/benchmarks.md). The
streams need none of it: they authenticate by their signed token, check the Origin themselves and
read no cookie. The other live endpoints (actions, forms, status) stay behind the middleware.

Keep a middleware that the streams do need outside this one (one that rewrites `scope["client"]`
from proxy headers, say).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from .sse import SSEApp
from .websocket import websocket_endpoint

if TYPE_CHECKING:
    from .app import LiveUI

__all__ = ["LiveStreams"]


class LiveStreams:
    __slots__ = ("_live", "_sse", "_sse_path", "_ws_path", "app")

    def __init__(self, app: ASGIApp, live: LiveUI) -> None:
        self.app = app
        self._live = live
        self._sse = SSEApp(live.gate)
        self._sse_path = live.url("sse")
        self._ws_path = live.url("ws")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http" or kind == "websocket":
            path: str = scope["path"]
            root: str = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root):]  # servers and mounts keep the root in the path
            if kind == "http" and path == self._sse_path:
                self._live.learn_root_path(scope)
                if scope.get("method", "GET") not in ("GET", "HEAD"):
                    response = PlainTextResponse("Method Not Allowed", status_code=405,
                                                 headers={"Allow": "GET"})
                    await response(scope, receive, send)
                    return
                await self._sse(scope, receive, send)
                return
            if kind == "websocket" and path == self._ws_path:
                self._live.learn_root_path(scope)
                await websocket_endpoint(WebSocket(scope, receive, send), self._live.gate)
                return
        await self.app(scope, receive, send)
