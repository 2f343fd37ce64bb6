"""liveui's reliance on uvicorn's, websockets' and asyncio's insides, checked once: every one
holds on the versions installed; `import liveui` loads none of them; and where one is missing
(faked here by deleting an attribute) liveui serves on the stock path with one WARNING naming
the version — and the app still works."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.sync.client import connect

import liveui
from liveui import uvicorn_options
from liveui._server import reliances
from liveui.live.disconnect_watch import DisconnectWatch
from liveui.testing import serve


@pytest.fixture(autouse=True)
def fresh_checks() -> Iterator[None]:
    """Each test checks anew (the checks are cached per process), and leaves no cache behind."""
    reliances.broken.cache_clear()
    reliances.stock_fallback.cache_clear()
    yield
    reliances.broken.cache_clear()
    reliances.stock_fallback.cache_clear()


def test_every_reliance_holds_on_the_installed_versions() -> None:
    assert reliances.check_all() == {}
    assert uvicorn_options()["http"] is liveui.UvicornHttpProtocol
    assert liveui.UvicornHttpProtocol.__module__ == "liveui._server.http_protocol"
    assert liveui.UvicornWebSocketProtocol.__module__ == "liveui._server.websocket_protocol"


def test_importing_liveui_loads_no_server_internals() -> None:
    probe = (
        "import sys, liveui; print(sorted(m for m in sys.modules if m.startswith("
        "('uvicorn.protocols', 'liveui._server.http', 'liveui._server.websocket'))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "[]"


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text(await websocket.receive_text())
    await websocket.close()


def test_a_missing_attribute_falls_back_to_the_stock_protocols_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Two attributes a new uvicorn might rename; the stock protocols never call them while
    # serving these requests.
    monkeypatch.delattr(HttpToolsProtocol, "_unsupported_upgrade_warning")
    monkeypatch.delattr(WebSocketsSansIOProtocol, "handle_parser_exception")
    with caplog.at_level(logging.WARNING, logger="liveui.server"):
        options = uvicorn_options()
        uvicorn_options()  # asked again: no second warning
        http_class: Any = liveui.UvicornHttpProtocol
    assert options["http"] == "httptools" and options["ws"] == "websockets-sansio"
    assert http_class is HttpToolsProtocol
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2, warnings
    assert all("uvicorn 0." in w and "instead" in w for w in warnings)
    assert "parser callbacks" in warnings[0] or "parser callbacks" in warnings[1]

    app = Starlette(routes=[Route("/", lambda r: PlainTextResponse("still works")),
                            WebSocketRoute("/echo", echo)])
    with serve(app, **options) as server:
        assert httpx.get(server.url, timeout=10).text == "still works"
        with connect(f"{server.ws_url}/echo", open_timeout=10) as ws:
            ws.send("hello")
            assert ws.recv(timeout=10) == "hello"


async def test_without_the_asyncio_hook_a_stream_watches_its_client_in_a_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(reliances.RELIANCES, "asyncio_steps",
                        (("asyncio futures' _asyncio_future_blocking", lambda: False),))
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    gone: list[bool] = []
    watch = DisconnectWatch(queue.get, lambda: gone.append(True))
    assert watch._task is not None  # the fallback: a task waits on receive()
    queue.put_nowait({"type": "http.disconnect"})
    async with asyncio.timeout(2):
        while not gone:
            await asyncio.sleep(0.01)
    assert gone == [True]
