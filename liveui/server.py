"""Serving liveui with uvicorn: `uvicorn_options()` and the WebSocket protocol it names.

    uvicorn.run(app, host="127.0.0.1", port=8000, **uvicorn_options())

- `ws`: uvicorn's `websockets-sansio` implementation (the lightest per connection), plus an
  answer to upgrade requests it cannot parse: as shipped it drops them silently — a request line
  over the limit gets neither a response nor a close, and its descriptor is held until the
  client gives up. Here it is answered at once (414, 431 or 400) and closed.
- the request line limit of the WebSocket handshake is raised to `max_request_line` (the live
  WebSocket carries the page's component list, up to 16 KiB, in its URL); it is the value of
  the `websockets` library's own `WEBSOCKETS_MAX_LINE_LENGTH` setting, process-wide.
- `ws_max_size`: the largest client frame, enforced by the server while reading (the frame is
  never buffered whole); keep it at the largest of `ChannelSettings.max_frame_size` and
  `LiveSettings.max_message_size`.
- per-message compression off: it costs about four times the memory per WebSocket.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "DEFAULT_MAX_REQUEST_LINE",
    "DEFAULT_WS_MAX_SIZE",
    "uvicorn_options",
    "websocket_protocol",
]

DEFAULT_WS_MAX_SIZE = 1024 * 1024
DEFAULT_MAX_REQUEST_LINE = 20 * 1024

_protocol: type[Any] | None = None


def websocket_protocol(max_request_line: int = DEFAULT_MAX_REQUEST_LINE) -> type[Any]:
    """uvicorn's websockets-sansio protocol that answers unparsable upgrades at once."""
    global _protocol
    import websockets.http11
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

    if max_request_line > websockets.http11.MAX_LINE_LENGTH:
        websockets.http11.MAX_LINE_LENGTH = max_request_line
    if _protocol is not None:
        return _protocol

    class WebSocketProtocol(WebSocketsSansIOProtocol):  # type: ignore[misc]
        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            conn = self.conn
            if self.handshake_initiated or self.close_sent or conn.handshake_exc is None:
                return
            # The handshake failed to parse: websockets queued a 414/431 (or nothing, for
            # garbage); send it, or a 400, and close instead of holding the socket open.
            output = b"".join(conn.data_to_send())
            if not output.startswith(b"HTTP/"):
                output = (
                    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                    b"Content-Length: 31\r\nConnection: close\r\n\r\n"
                    b"not a valid WebSocket upgrade\r\n"
                )
            self.close_sent = True
            self.handshake_complete = True
            self.transport.write(output)
            self.transport.close()

    _protocol = WebSocketProtocol
    return _protocol


def uvicorn_options(
    *,
    ws_max_size: int = DEFAULT_WS_MAX_SIZE,
    max_request_line: int = DEFAULT_MAX_REQUEST_LINE,
) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run` / `uvicorn.Config` (see the module docstring)."""
    return {
        "ws": websocket_protocol(max_request_line),
        "ws_max_size": ws_max_size,
        "ws_per_message_deflate": False,
    }
