"""Serving liveui with uvicorn: `uvicorn_options()` and the WebSocket protocol it names.

    uvicorn.run(app, host="127.0.0.1", port=8000, **uvicorn_options())

- `http`: `UvicornHttpProtocol` — uvicorn's httptools protocol with lighter per-connection
  state (a live SSE stream is a request held open) and every request bounded while it is read:
  head size and header count (431; 414 for the request line), head and body time (408),
  connections per address not yet past their first request (429); see `HttpLimits`;
  `http_limits=` changes them. The head bound is raised to `max_request_line` + 12 KiB when it
  is smaller, so that the longest upgrade request line allowed fits with its headers.
- `h11_max_incomplete_event_size`: the same head bound for uvicorn's h11 protocol, should
  `http="h11"` be passed after these options (h11 answers 400 beyond it; it has no timeouts).
- `proxy_headers`: `X-Forwarded-For`/`-Proto` are trusted only from `forwarded_allow_ips`, and
  not at all unless it is given (uvicorn trusts loopback by default).
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

import dataclasses
from typing import Any

from .http_limits import DEFAULT_HTTP_LIMITS, HttpLimits

__all__ = [
    "DEFAULT_MAX_REQUEST_LINE",
    "DEFAULT_WS_MAX_SIZE",
    "HttpLimits",
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
    http_limits: HttpLimits = DEFAULT_HTTP_LIMITS,
    forwarded_allow_ips: str | list[str] | None = None,
) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run` / `uvicorn.Config` (see the module docstring).

    `forwarded_allow_ips`: the addresses of the proxies in front (uvicorn's syntax: a list or
    a comma-separated string of addresses and networks, or "*"); None trusts no proxy."""
    # a WebSocket upgrade's request line must fit in the head, with room for its headers
    head = max_request_line + 12 * 1024
    if http_limits.max_head_bytes < head:
        http_limits = dataclasses.replace(http_limits, max_head_bytes=head)
    options: dict[str, Any] = {
        "ws": websocket_protocol(max_request_line),
        "ws_max_size": ws_max_size,
        "ws_per_message_deflate": False,
        "h11_max_incomplete_event_size": http_limits.max_head_bytes,
        "proxy_headers": forwarded_allow_ips is not None,
    }
    if forwarded_allow_ips is not None:
        options["forwarded_allow_ips"] = forwarded_allow_ips
    options["http"] = http_protocol(http_limits)
    return options


def http_protocol(limits: HttpLimits = DEFAULT_HTTP_LIMITS) -> type[Any] | str:
    """`UvicornHttpProtocol` (httptools comes with uvicorn[standard], a dependency), or a
    subclass of it with other `limits`; uvicorn's own `"httptools"` (one WARNING) where a
    reliance of it is missing."""
    from ._server.reliances import stock_fallback

    if stock_fallback("http"):
        return "httptools"
    from ._server.http_protocol import UvicornHttpProtocol

    if limits == UvicornHttpProtocol.limits:
        return UvicornHttpProtocol
    return type("UvicornHttpProtocol", (UvicornHttpProtocol,), {"limits": limits})
