"""Run an ASGI app on a real uvicorn server on loopback, in a background thread, for tests."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn

from ..uvicorn_protocol import UvicornWebSocketProtocol

__all__ = ["LiveServer", "free_port", "serve"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class LiveServer:
    host: str
    port: int
    server: uvicorn.Server

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"


@contextlib.contextmanager
def serve(
    app: Any, *, port: int | None = None, timeout: float = 10.0, **config: Any
) -> Iterator[LiveServer]:
    """Serve `app` until the block ends; the server runs its own event loop in a thread."""
    port = port or free_port()
    options: dict[str, Any] = {
        "log_level": "warning",
        "lifespan": "on",
        "ws": UvicornWebSocketProtocol,  # uvicorn's websockets-sansio + raw frames
        "ws_per_message_deflate": False,  # ~4x memory per connection; DESIGN.md keeps it off
    }
    options.update(config)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **options))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.01)
    try:
        yield LiveServer("127.0.0.1", port, server)
    finally:
        server.should_exit = True
        thread.join(timeout)
