"""`LiveStreams` over a real uvicorn: the SSE and WebSocket streams are answered ahead of the
app's middleware (which never sees them), every other request still goes through it, and the
streams work under a mount's root path."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import jinja2
import pytest
import websockets
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from liveui import Broadcast, LiveComponent, LiveStreams, LiveUI, Node
from liveui.live.session_token import make_token
from liveui.live.specs import encode_specs
from liveui.testing import serve
from tests.support.server_log import server_log
from tests.support.sse import sse_events


class Clock(LiveComponent):
    name = "test_streams_clock"
    template = "clock.html"

    async def mount(self, ctx: Any) -> None:
        self.state.setdefault("t", 0)

    def topics(self, user_id: Any) -> list[str]:
        return ["streams-test"]

    def authorize(self, ctx: Any) -> bool:
        return True

    def handle_info(self, message: Broadcast) -> bool:
        self.state = {"t": message.payload}
        return True


class Seen:
    """A middleware of the app's own that records the paths it was asked for."""

    paths: list[str] = []

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            Seen.paths.append(scope["path"])
        await self.app(scope, receive, send)


def _app(prefix: str = "") -> tuple[Starlette, LiveUI]:
    live = LiveUI(node=Node(), secret_key="k", get_user_id=lambda r: None, debug=True)
    live.install_templates(jinja2.Environment(loader=jinja2.DictLoader(
        {"clock.html": '<i id="{{ id }}" {{ attrs }}>{{ state.t }}</i>'})))

    async def page(request: Request) -> PlainTextResponse:
        return PlainTextResponse("page")

    inner = Starlette(routes=[*live.routes(), Route("/page", page)],
                      middleware=[Middleware(LiveStreams, live=live), Middleware(Seen)])
    if not prefix:
        return Starlette(routes=inner.routes, middleware=inner.user_middleware,
                         lifespan=live.node.lifespan), live
    return Starlette(routes=[Mount(prefix, app=inner)], lifespan=live.node.lifespan), live


async def test_the_streams_skip_the_apps_middleware_and_the_rest_does_not() -> None:
    Seen.paths = []
    app, live = _app()
    _, token = make_token("k", 7)
    params = {"token": token, "c": encode_specs([Clock().spec()])}
    with serve(app, timeout_graceful_shutdown=1) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            assert (await client.get("/page")).text == "page"
            async with client.stream("GET", "/liveui/sse", params=params) as response:
                assert response.status_code == 200
                events = sse_events(response)
                async with asyncio.timeout(5):
                    async for event in events:
                        if "<i " in event.get("data", ""):
                            break
                live.node.broadcast("streams-test", "tick", 3)
                async with asyncio.timeout(5):
                    async for event in events:
                        if ">3</i>" in event.get("data", ""):
                            break
            refused = await client.post("/liveui/sse", params=params)
            assert refused.status_code == 405
        _, other = make_token("k", 8)  # another tab: its own session, first rendered at 0
        query = httpx.QueryParams({**params, "token": other})
        url = f"{server.url.replace('http', 'ws')}/liveui/ws?{query}"
        async with websockets.connect(url, origin=server.url) as socket:  # type: ignore[arg-type]
            async with asyncio.timeout(5):
                while ">0</i>" not in str(await socket.recv()):
                    pass
            live.node.broadcast("streams-test", "tick", 4)
            async with asyncio.timeout(5):
                while ">4</i>" not in str(await socket.recv()):
                    pass
    assert Seen.paths == ["/page"]  # the middleware saw the page and neither stream


async def test_the_streams_work_under_a_mount() -> None:
    Seen.paths = []
    app, live = _app("/desk")
    _, token = make_token("k", 7)
    params = {"token": token, "c": encode_specs([Clock().spec()])}
    with serve(app, timeout_graceful_shutdown=1) as server:
        async with (
            httpx.AsyncClient(base_url=server.url, timeout=10) as client,
            client.stream("GET", "/desk/liveui/sse", params=params) as response,
        ):
            assert response.status_code == 200
            async with asyncio.timeout(5):
                async for event in sse_events(response):
                    if ">0</i>" in event.get("data", ""):
                        break
    assert Seen.paths == []
    assert live.root_path == "/desk"


class Scopes:
    """An outer middleware that keeps every stream's scope, to look at it while it is open."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.streams: list[Scope] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope["path"].endswith(("/sse", "/ws")):
            self.streams.append(scope)
        await self.app(scope, receive, send)


async def test_an_open_stream_holds_no_request_head_and_logs_no_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, live = _app()
    outer = Scopes(app)
    _, token = make_token("k", 7)
    params = {"token": token, "c": encode_specs([Clock().spec()])}
    with serve(outer, timeout_graceful_shutdown=1, log_level="info",
               access_log=True) as server, server_log(caplog, access=True):
        async with (
            httpx.AsyncClient(base_url=server.url, timeout=10) as client,
            client.stream("GET", "/liveui/sse", params=params) as response,
        ):
            events = sse_events(response)
            async with asyncio.timeout(5):
                async for event in events:
                    if ">0</i>" in event.get("data", ""):
                        break
            (sse_scope,) = outer.streams
            assert sse_scope["headers"] == [] and sse_scope["query_string"] == b""
            live.node.broadcast("streams-test", "tick", 5)  # and it stays live
            async with asyncio.timeout(5):
                async for event in events:
                    if ">5</i>" in event.get("data", ""):
                        break
        query = httpx.QueryParams(params)
        url = f"{server.ws_url}/liveui/ws?{query}"
        async with websockets.connect(url, origin=server.url) as socket:  # type: ignore[arg-type]
            async with asyncio.timeout(5):
                while ">5</i>" not in str(await socket.recv()):
                    pass
            ws_scope = outer.streams[1]
            assert ws_scope["headers"] == [] and ws_scope["query_string"] == b""
            live.node.broadcast("streams-test", "tick", 6)
            async with asyncio.timeout(5):
                while ">6</i>" not in str(await socket.recv()):
                    pass
    lines = [record.getMessage() for record in caplog.records]
    logged = [line for line in lines if "/liveui/" in line]
    assert any("/liveui/sse" in line for line in logged)
    assert any("/liveui/ws" in line for line in logged)
    assert not any(token in line for line in lines), logged
