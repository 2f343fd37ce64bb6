"""`RequestSizeLimit`: refuse request bodies over a limit (413) before anything parses them.

    app = Starlette(routes=..., middleware=[Middleware(RequestSizeLimit, max_body=64 * 1024)])

A declared `Content-Length` over the limit is answered at once, without reading a byte of the
body; a body without one (chunked) is counted while the application reads it, and the request
is answered 413 the moment it goes over — so no form parser, JSON decoder or handler ever holds
more than the limit in memory. `limits` sets other limits for path prefixes (the longest
matching prefix wins), e.g. `{"/upload": 20 * 1024 * 1024}`. WebSocket frames are bounded by the
server instead (`uvicorn_options(ws_max_size=...)`).
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RequestSizeLimit"]

_TOO_LARGE = b"request body too large"


class RequestSizeLimit:
    def __init__(
        self, app: ASGIApp, max_body: int = 1024 * 1024, limits: Mapping[str, int] | None = None
    ) -> None:
        if max_body < 0:
            raise ValueError("liveui: RequestSizeLimit.max_body must be >= 0")
        self.app = app
        self.max_body = max_body
        self.limits = sorted((limits or {}).items(), key=lambda item: -len(item[0]))

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.limits:
            if path.startswith(prefix):
                return limit
        return self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and (
                not value.isdigit() or len(value) > 15 or int(value) > limit
            ):
                await _refuse(send)
                return
        seen = 0
        started = refused = False

        async def counted_receive() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # Answer now; the application sees a client that went away.
                    refused = True
                    if not started:
                        await _refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 went out instead
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not refused:
                raise
            # What the application raised about the vanished body is not an error of ours.


async def _refuse(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(_TOO_LARGE)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _TOO_LARGE})
