"""Serving liveui with uvicorn: `uvicorn_options()` and the WebSocket protocol it names.

    uvicorn.run(app, host="127.0.0.1", port=8000, **uvicorn_options())

- `http`: `UvicornHttpProtocol` — uvicorn's httptools protocol with lighter per-connection
  state (a live SSE stream is a request held open).
- `ws`: `UvicornWebSocketProtocol` — uvicorn's `websockets-sansio` implementation (the lightest
  per connection) with broadcast frames encoded once and written directly, and an answer at
  once (414, 431 or 400) to upgrade requests it cannot parse, which as shipped it holds
  silently.
- the request line limit of the WebSocket handshake is raised to `max_request_line` (the live
  WebSocket carries the page's component list, up to 16 KiB, in its URL); it is the value of
  the `websockets` library's own `WEBSOCKETS_MAX_LINE_LENGTH` setting, process-wide.
- `ws_max_size`: the largest client frame, enforced by the server while reading (the frame is
  never buffered whole); keep it at the largest of `ChannelSettings.max_frame_size` and
  `LiveSettings.max_message_size`.
- per-message compression off: it costs about four times the memory per WebSocket.

The protocol classes extend uvicorn from the inside (`liveui._server`); each reliance is checked
when first used, and a missing one makes these options name uvicorn's stock protocol instead,
with one WARNING naming the version.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "DEFAULT_MAX_REQUEST_LINE",
    "DEFAULT_WS_MAX_SIZE",
    "http_protocol",
    "uvicorn_options",
    "websocket_protocol",
]

DEFAULT_WS_MAX_SIZE = 1024 * 1024
DEFAULT_MAX_REQUEST_LINE = 20 * 1024

def websocket_protocol(max_request_line: int = DEFAULT_MAX_REQUEST_LINE) -> type[Any] | str:
    """`UvicornWebSocketProtocol`, with the handshake's request line limit raised; uvicorn's
    own `"websockets-sansio"` (one WARNING) where a reliance of it is missing."""
    from ._server.reliances import stock_fallback
    from ._server.websockets_limits import raise_request_line_limit

    raise_request_line_limit(max_request_line)
    if stock_fallback("websocket"):
        return "websockets-sansio"
    from ._server.websocket_protocol import UvicornWebSocketProtocol

    return UvicornWebSocketProtocol


def uvicorn_options(
    *,
    ws_max_size: int = DEFAULT_WS_MAX_SIZE,
    max_request_line: int = DEFAULT_MAX_REQUEST_LINE,
) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run` / `uvicorn.Config` (see the module docstring)."""
    options: dict[str, Any] = {
        "ws": websocket_protocol(max_request_line),
        "ws_max_size": ws_max_size,
        "ws_per_message_deflate": False,
    }
    options["http"] = http_protocol()
    return options


def http_protocol() -> type[Any] | str:
    """`UvicornHttpProtocol` (httptools comes with uvicorn[standard], a dependency); uvicorn's
    own `"httptools"` (one WARNING) where a reliance of it is missing."""
    from ._server.reliances import stock_fallback

    if stock_fallback("http"):
        return "httptools"
    from ._server.http_protocol import UvicornHttpProtocol

    return UvicornHttpProtocol
