"""Every attribute of uvicorn, websockets and asyncio that liveui relies on, checked once.

Each check names what it looks for; `broken(part)` says which of a part's reliances fail, and
`stock_fallback(part)` logs the one WARNING that liveui then serves on the stock path. The
checks read class and code attributes only: nothing is started or patched.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import logging
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal

__all__ = ["Part", "broken", "check_all", "stock_fallback"]

log = logging.getLogger("liveui.server")

Part = Literal["http", "websocket", "websockets_limits", "asyncio_steps", "uvicorn_exit"]


def _attr(module: str, path: str) -> Any:
    found: Any = importlib.import_module(module)
    for name in path.split("."):
        found = getattr(found, name)
    return found


def _has(module: str, path: str) -> Callable[[], bool]:
    def check() -> bool:
        _attr(module, path)
        return True

    return check


def _assigns(module: str, function: str, *names: str) -> Callable[[], bool]:
    """`function` (a method, as `Class.method`) assigns or reads every one of `names`."""

    def check() -> bool:
        code = _attr(module, function).__code__
        return all(name in code.co_names for name in names)

    return check


_HTTP = "uvicorn.protocols.http.httptools_impl"
_FLOW = "uvicorn.protocols.http.flow_control"
_WS = "uvicorn.protocols.websockets.websockets_sansio_impl"


def _url_readers() -> set[str]:
    """The methods of uvicorn's HTTP protocol and request cycle that touch `url`."""
    return {
        name
        for cls in ("HttpToolsProtocol", "RequestResponseCycle")
        for name, method in vars(_attr(_HTTP, cls)).items()
        if callable(method) and "url" in getattr(getattr(method, "__code__", None),
                                                 "co_names", ())
    }


RELIANCES: dict[Part, tuple[tuple[str, Callable[[], bool]], ...]] = {
    "http": (
        ("uvicorn's HttpToolsProtocol", _has(_HTTP, "HttpToolsProtocol")),
        ("its flow control's _is_writable_event",
         _assigns(_FLOW, "FlowControl.__init__", "_is_writable_event", "write_paused")),
        ("its request cycle's message_event",
         _assigns(_HTTP, "RequestResponseCycle.__init__", "message_event", "more_body",
                  "response_started", "response_complete", "disconnected", "logger")),
        ("its parser callbacks", lambda: all(
            hasattr(_attr(_HTTP, "HttpToolsProtocol"), name) for name in (
                "connection_made", "connection_lost", "data_received", "on_message_begin",
                "on_header", "on_headers_complete", "on_body", "on_message_complete",
                "handle_websocket_upgrade", "_unsupported_upgrade_warning", "_should_upgrade",
                "_unset_keepalive_if_required",
            ))),
        ("the request URL read after the head only to hand an upgrade over",
         lambda: _url_readers() == {"on_url", "on_message_begin", "on_headers_complete",
                                    "handle_websocket_upgrade"}),
    ),
    "websocket": (
        ("uvicorn's WebSocketsSansIOProtocol", _has(_WS, "WebSocketsSansIOProtocol")),
        ("its queue, writable event and frame buffer",
         _assigns(_WS, "WebSocketsSansIOProtocol.__init__", "queue", "writable", "frames",
                  "curr_msg_data_type", "conn", "disconnected", "close_sent")),
        ("its handlers", lambda: all(
            hasattr(_attr(_WS, "WebSocketsSansIOProtocol"), name) for name in (
                "run_asgi", "send", "send_receive_event_to_app", "handle_parser_exception",
            ))),
        ("websockets' frame parser and the server's handshake parser it continues with",
         lambda: _assigns("websockets.protocol", "Protocol.__init__", "parser", "reader")()
         and "parse" in _attr("websockets.server", "ServerProtocol.parse").__code__.co_names
         and _has("websockets.streams", "StreamReader.read_exact")()),
    ),
    "websockets_limits": (
        ("websockets.http11.MAX_LINE_LENGTH",
         lambda: isinstance(_attr("websockets.http11", "MAX_LINE_LENGTH"), int)),
    ),
    "asyncio_steps": (
        ("asyncio futures' _asyncio_future_blocking",
         lambda: hasattr(asyncio.Future, "_asyncio_future_blocking")),
    ),
    "uvicorn_exit": (
        ("uvicorn's Server.handle_exit setting should_exit",
         _assigns("uvicorn", "Server.handle_exit", "should_exit")),
    ),
}

_STOCK: dict[Part, str] = {
    "http": "uvicorn's own httptools protocol (no request bounds of liveui's, more memory per "
            "SSE stream)",
    "websocket": "uvicorn's own websockets-sansio protocol (broadcasts framed per connection, "
                 "~10 KB more per WebSocket)",
    "websockets_limits": "websockets' own request-line limit (live pages with long component "
                         "lists cannot open their WebSocket)",
    "asyncio_steps": "one task per SSE stream to notice its client leaving (~1 KB per tab)",
    "uvicorn_exit": "sse-starlette's exit flag only (SSE streams may hold a shutdown until "
                    "uvicorn's graceful timeout)",
}


@functools.cache
def broken(part: Part) -> tuple[str, ...]:
    """What of `part`'s reliances is missing (empty: all there). Checked once per process."""
    missing = []
    for what, check in RELIANCES[part]:
        try:
            ok = check()
        except Exception:  # an import or attribute gone: that is what is checked
            ok = False
        if not ok:
            missing.append(what)
    return tuple(missing)


def check_all() -> dict[Part, tuple[str, ...]]:
    """Every part that has a missing reliance, with what is missing."""
    return {part: missing for part in RELIANCES if (missing := broken(part))}


@functools.cache
def stock_fallback(part: Part) -> bool:
    """True (after one WARNING) when `part` must fall back to the stock path."""
    missing = broken(part)
    if missing:
        log.warning(
            "liveui: %s not found in uvicorn %s / websockets %s: serving with %s instead. "
            "liveui is tested with uvicorn >=0.55,<1 and websockets >=13,<18.",
            ", ".join(missing), _version("uvicorn"), _version("websockets"), _STOCK[part],
        )
    return bool(missing)


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "(not installed)"
