"""The `websockets` parser's request-line limit, raised for live pages.

The live WebSocket carries the page's component list (up to 16 KiB) in its URL; websockets
reads the limit from a module attribute (its `WEBSOCKETS_MAX_LINE_LENGTH` setting), which is
process-wide.
"""

from __future__ import annotations

from .reliances import stock_fallback

__all__ = ["raise_request_line_limit"]


def raise_request_line_limit(max_request_line: int) -> None:
    if stock_fallback("websockets_limits"):
        return
    import websockets.http11

    if max_request_line > websockets.http11.MAX_LINE_LENGTH:
        websockets.http11.MAX_LINE_LENGTH = max_request_line
