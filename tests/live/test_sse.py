"""The SSE endpoint over a real uvicorn: ids on every patch, Last-Event-ID replay, refusals."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jinja2
import pytest
from sse_starlette.sse import AppStatus
from starlette.applications import Starlette

from liveui import Broadcast, LiveComponent, LiveUI, Node
from liveui.live.session_token import make_token
from liveui.live.specs import encode_specs
from liveui.live.sse import encode_patch
from liveui.testing import serve
from tests.support.sse import sse_events


class Counter(LiveComponent):
    name = "test_sse_counter"
    template = "c.html"

    async def mount(self, ctx: Any) -> None:
        self.state.setdefault("n", 0)

    def topics(self, user_id: Any) -> list[str]:
        return ["sse-test"]

    def authorize(self, ctx: Any) -> bool:
        return True  # a public test feed: every user may watch it

    def handle_info(self, message: Broadcast) -> bool:
        self.state = {"n": message.payload}
        return True


def _app() -> tuple[Starlette, LiveUI]:
    live = LiveUI(node=Node(), secret_key="k", get_user_id=lambda r: None, debug=True)
    live.install_templates(jinja2.Environment(loader=jinja2.DictLoader(
        {"c.html": '<i id="{{ id }}" {{ attrs }}>{{ state.n }}</i>'}
    )))
    return Starlette(routes=live.routes(), lifespan=live.node.lifespan), live


async def _next_patch(events: AsyncIterator[dict[str, str]]) -> dict[str, str]:
    async with asyncio.timeout(5):
        async for event in events:
            if event.get("event") == "patch" and "<i " in event.get("data", ""):
                return event
    raise AssertionError("stream ended")


async def test_stream_replays_after_last_event_id() -> None:
    app, live = _app()
    _, token = make_token("k", 7)
    specs = encode_specs([Counter().spec()])
    with serve(app, timeout_graceful_shutdown=1) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            params = {"token": token, "c": specs}
            async with client.stream("GET", "/liveui/sse", params=params) as response:
                assert response.status_code == 200
                events = sse_events(response)
                first = await _next_patch(events)  # no etag given: a full render
                assert ">0</i>" in first["data"] and first["id"]
                live.node.broadcast("sse-test", "tick", 1)
                second = await _next_patch(events)
                assert ">1</i>" in second["data"]
            await asyncio.sleep(0)
            live.node.broadcast("sse-test", "tick", 2)  # missed while disconnected
            headers = {"Last-Event-ID": second["id"]}
            async with client.stream("GET", "/liveui/sse", params=params, headers=headers) as again:
                replayed = await _next_patch(sse_events(again))
                assert ">2</i>" in replayed["data"]
                assert replayed["id"].split("-")[0] == second["id"].split("-")[0]


async def test_a_retry_after_a_restart_does_not_trust_the_first_urls_etags() -> None:
    # The page showed 0 and its stream seeded it; a patch made it 1. The server restarts and the
    # value is 0 again: the browser's retry (same URL, so the page's etag of 0, and Last-Event-ID)
    # must get the 0 re-rendered, not be taken for a page already showing it.
    component = Counter()
    component.state = {"n": 0}
    specs = encode_specs([{**component.spec(), "e": component.etag()}])
    _, token = make_token("k", 7)
    params = {"token": token, "c": specs}
    app, live = _app()
    with serve(app, timeout_graceful_shutdown=1) as server:
        async with (
            httpx.AsyncClient(base_url=server.url, timeout=10) as client,
            client.stream("GET", "/liveui/sse", params=params) as response,
        ):
            events = sse_events(response)
            assert "<i " not in (await anext(events))["data"]  # seeded: the marker only
            live.node.broadcast("sse-test", "tick", 1)
            patched = await _next_patch(events)
            assert ">1</i>" in patched["data"]
    restarted, _ = _app()
    with serve(restarted, timeout_graceful_shutdown=1) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            headers = {"Last-Event-ID": patched["id"]}
            async with client.stream(
                "GET", "/liveui/sse", params=params, headers=headers
            ) as again:
                assert ">0</i>" in (await _next_patch(sse_events(again)))["data"]
            # A first connect (or a retry that got nothing but the marker) still trusts them.
            marker_only = {"Last-Event-ID": patched["id"].split("-")[0] + "-0"}
            async with client.stream(
                "GET", "/liveui/sse", params={**params, "token": make_token("k", 8)[1]},
                headers=marker_only,
            ) as fresh:
                first = await anext(sse_events(fresh))
                assert "<i " not in first["data"]


async def test_refusals_are_clear() -> None:
    app, _ = _app()
    _, token = make_token("k", 7)
    with serve(app, timeout_graceful_shutdown=1) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            missing = await client.get("/liveui/sse")
            assert missing.status_code == 403 and "missing_token" in missing.text
            _, other = make_token("another-secret", 7)
            assert (await client.get("/liveui/sse", params={"token": other})).status_code == 403
            bad = await client.get("/liveui/sse", params={"token": token, "c": "!!"})
            assert bad.status_code == 400
            unknown = encode_specs([{"c": "no_such_component", "p": {}}])
            bad = await client.get("/liveui/sse", params={"token": token, "c": unknown})
            assert bad.status_code == 400 and "no_such_component" in bad.text
            too_many = encode_specs([Counter(id=f"c{i}").spec() for i in range(65)])
            bad = await client.get("/liveui/sse", params={"token": token, "c": too_many})
            assert bad.status_code == 400  # max_components (64)
            spec = json.dumps(Counter().spec())
            post = await client.post(
                "/liveui/event", data={"event": "x", "spec": spec},
                headers={"X-LiveUI-Token": token},
            )
            assert post.status_code == 400 and "does not handle" in post.text


async def _no_connections(live: LiveUI, session_id: str, timeout: float = 5.0) -> bool:
    async with asyncio.timeout(timeout):
        while True:
            session = live.registry.get(session_id)
            if session is not None and not session.connections:
                return True
            await asyncio.sleep(0.02)


async def test_a_client_that_leaves_or_only_asks_head_frees_its_connection() -> None:
    app, live = _app()
    session_id, token = make_token("k", 8)
    params = {"token": token, "c": encode_specs([Counter().spec()])}
    with serve(app, timeout_graceful_shutdown=1) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            async with client.stream("GET", "/liveui/sse", params=params) as response:
                await _next_patch(sse_events(response))
                session = live.registry.get(session_id)
                assert session is not None and len(session.connections) == 1
            # The client closed the stream: the server notices and detaches at once.
            assert await _no_connections(live, session_id)
            head = await client.head("/liveui/sse", params=params)
            assert head.status_code == 200
            assert head.headers["content-type"].startswith("text/event-stream")
            assert await _no_connections(live, session_id)


def _parse_event(raw: bytes) -> dict[str, str]:
    """One event as the EventSource spec reads it: lines end at CR, LF or CRLF; `data` lines
    are joined with LF; one optional space after the colon is dropped."""
    fields: dict[str, list[str]] = {}
    text = raw.decode().replace("\r\n", "\n").replace("\r", "\n")
    assert text.endswith("\n\n") and "\n\n" not in text[:-2], "exactly one event"
    for line in text[:-2].split("\n"):
        name, _, value = line.partition(":")
        fields.setdefault(name, []).append(value[1:] if value.startswith(" ") else value)
    return {name: "\n".join(values) for name, values in fields.items()}


def test_a_patch_event_carries_its_text_line_for_line() -> None:
    text = '<b id="x" hx-swap-oob="true">1</b>\n<i id="y">two\r\nlines\rand: more</i>'
    event = _parse_event(encode_patch("ab12-7", text))
    assert event == {
        "event": "patch",
        "id": "ab12-7",
        "data": text.replace("\r\n", "\n").replace("\r", "\n"),
    }
    assert _parse_event(encode_patch("ab12-8", "")) == {"event": "patch", "id": "ab12-8",
                                                        "data": ""}


async def test_a_server_shutting_down_ends_each_stream_cleanly(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At a restart every open tab's stream is ended by liveui; each response must be finished
    # (the chunked body's last chunk), or uvicorn logs an error per tab and resets the socket.
    app, _ = _app()
    _, token = make_token("k", 7)
    server_log = logging.getLogger("uvicorn.error")  # uvicorn's loggers do not propagate
    server_log.addHandler(caplog.handler)
    try:
        with serve(app, timeout_graceful_shutdown=5) as server:
            async with (
                httpx.AsyncClient(base_url=server.url, timeout=10) as client,
                client.stream("GET", "/liveui/sse", params={
                    "token": token, "c": encode_specs([Counter().spec()])}) as response,
            ):
                events = sse_events(response)
                await _next_patch(events)
                monkeypatch.setattr(AppStatus, "should_exit", True)  # uvicorn's signal hook
                async with asyncio.timeout(5):
                    rest = [event async for event in events]  # ends without a protocol error
                assert all(event.get("event") == "patch" for event in rest)
    finally:
        server_log.removeHandler(caplog.handler)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
