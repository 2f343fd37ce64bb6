"""The ASGI servers a user could run liveui on, started the same way for every benchmark.

    serve(app, port, server="uvicorn-httptools", ws="liveui")

- `uvicorn-httptools` / `uvicorn-h11`: uvicorn with that HTTP parser (httptools: liveui's
  `UvicornHttpProtocol` unless `stock`); `ws` picks its WebSocket implementation (`liveui` is
  `UvicornWebSocketProtocol`: `websockets-sansio` plus raw frames and lighter state);
- `granian`: granian's embedded server (Rust HTTP/WebSocket, the app on this process's asyncio
  loop; the same worker the CLI forks, but in this process so /proc reads the right pid);
- `hypercorn`: hypercorn's asyncio worker (h11 and wsproto).

Every server runs in this process on uvloop, with per-message deflate off where it can be
turned off, and a listen backlog large enough for the benches' connection storms. uvicorn's
WebSocket keepalive ping (every 20 s per connection) is off: a measured window that happened to
cover the 20-second mark of thousands of connections cost up to ~40% more CPU than one that
did not, whatever the server (the benches' clients send no pings either).
"""

from __future__ import annotations

from typing import Any

__all__ = ["SERVERS", "WS_IMPLEMENTATIONS", "serve", "ws_for"]

SERVERS = ("uvicorn-httptools", "uvicorn-h11", "granian", "hypercorn")
# `liveui` and the others only apply to uvicorn; granian and hypercorn have one each.
WS_IMPLEMENTATIONS = ("liveui", "websockets-sansio", "websockets", "wsproto")
BACKLOG = 8192
# granian refuses connections beyond `backpressure` concurrent requests (default: the
# backlog); a live stream or socket is one request for its whole life.
GRANIAN_MAX_CONCURRENT = 100_000


def ws_for(server: str, ws: str) -> str:
    """The WebSocket implementation that really runs: granian's and hypercorn's are fixed."""
    if server == "granian":
        return "granian"
    if server == "hypercorn":
        return "wsproto"
    return ws


def serve(app: Any, port: int, *, server: str, ws: str = "liveui", stock: bool = False) -> None:
    """Serve `app` on 127.0.0.1:`port` until the process is terminated. `stock`: uvicorn as
    shipped (the naive servers), not liveui's protocols (`uvicorn_options()`)."""
    if server.startswith("uvicorn-"):
        if stock and ws == "liveui":
            ws = "websockets-sansio"
        _serve_uvicorn(app, port, http=server.removeprefix("uvicorn-"), ws=ws, stock=stock)
    elif server == "granian":
        _run(_granian(app, port))
    elif server == "hypercorn":
        _run(_hypercorn(app, port))
    else:
        raise ValueError(f"unknown server {server!r}")


def _serve_uvicorn(app: Any, port: int, *, http: str, ws: str, stock: bool) -> None:
    import uvicorn

    from liveui import HttpLimits
    from liveui.server import http_protocol, websocket_protocol

    protocol: Any = websocket_protocol() if ws == "liveui" else ws
    # every bench client connects from loopback: no cap on connections per address
    limits = HttpLimits(max_pending_per_address=None)
    parser: Any = http_protocol(limits) if http == "httptools" and not stock else http
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                http=parser, ws=protocol, ws_per_message_deflate=False, backlog=BACKLOG,
                ws_ping_interval=None, timeout_graceful_shutdown=1)


async def _granian(app: Any, port: int) -> None:
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server.embed import Server

    await Server(app, address="127.0.0.1", port=port, interface=Interfaces.ASGI,
                 backlog=BACKLOG, backpressure=GRANIAN_MAX_CONCURRENT,
                 log_level=LogLevels.warning).serve()


async def _hypercorn(app: Any, port: int) -> None:
    from hypercorn.asyncio import serve as hypercorn_serve
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.backlog = BACKLOG
    config.loglevel = "WARNING"
    config.accesslog = None
    config.graceful_timeout = 1
    await hypercorn_serve(app, config)


def _run(main: Any) -> None:
    import uvloop

    uvloop.run(main)
