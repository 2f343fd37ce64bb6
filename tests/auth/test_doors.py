"""The doors before any application code: Origin checks on both WebSockets, upgrades with long
request lines answered at once, bodies refused before parsing, per-user caps and rates."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from liveui import ChannelSettings, Endpoint, LiveSettings, Node
from liveui.testing import LiveServer, serve

from .secure_app import SecureApp, build

ANSWER_WITHIN = 5.0  # seconds: the bound for an upgrade request to get an answer


@pytest.fixture
def served() -> Iterator[tuple[SecureApp, LiveServer]]:
    app = build(settings=LiveSettings(max_sessions_per_user=3, max_actions_burst=5,
                                      max_actions_per_second=1.0))
    with serve(app.app, timeout_graceful_shutdown=1) as server:
        yield app, server


async def status_of(url: str, origin: str | None) -> int:
    headers = {"Origin": origin} if origin is not None else {}
    try:
        async with websockets.connect(url, additional_headers=headers, origin=None):
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


async def test_cross_origin_upgrades_get_403_on_both_websockets(
    served: tuple[SecureApp, LiveServer],
) -> None:
    app, server = served
    login = app.revocations.login("1")
    urls = {
        "live": f"{server.ws_url}/liveui/ws?token={app.live_token(login)}&c={app.specs()}",
        "socket": f"{server.ws_url}/socket/websocket?vsn=2.0.0&token={app.socket_token(login)}",
    }
    own = f"http://127.0.0.1:{server.port}"
    for name, url in urls.items():
        assert await status_of(url, "https://evil.example") == 403, name
        assert await status_of(url, f"http://127.0.0.1:{server.port + 1}") == 403, name
        assert await status_of(url, "null") == 403, name
        assert await status_of(url, own) == 101, name
        assert await status_of(url, None) == 101, name  # not a browser: the token decides


async def test_an_allow_list_admits_the_listed_origins_only() -> None:
    node = Node()
    app = build(node, settings=LiveSettings(check_origin=("//*.example.com",)))
    app.endpoint.settings = ChannelSettings(check_origin=["https://app.example.com"])
    with serve(app.app, timeout_graceful_shutdown=1) as server:
        login = app.revocations.login("1")
        sock = f"{server.ws_url}/socket/websocket?vsn=2.0.0&token={app.socket_token(login)}"
        live = f"{server.ws_url}/liveui/ws?token={app.live_token(login)}&c={app.specs()}"
        assert await status_of(sock, "https://app.example.com") == 101
        assert await status_of(sock, "http://app.example.com") == 403
        assert await status_of(sock, f"http://127.0.0.1:{server.port}") == 403
        assert await status_of(live, "http://shop.example.com:8080") == 101
        assert await status_of(live, "https://example.org") == 403


def raw_upgrade(port: int, target: str) -> tuple[bytes, float]:
    """Send one upgrade request as bytes; return the status line and how long it took."""
    request = (
        f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_WITHIN) as conn:
        conn.sendall(request)
        try:
            status = conn.recv(64).split(b"\r\n", 1)[0]
        except TimeoutError:
            status = b"(no answer)"
    return status, time.monotonic() - started


def test_long_upgrade_request_lines_are_answered_promptly(
    served: tuple[SecureApp, LiveServer],
) -> None:
    app, server = served
    login = app.revocations.login("1")
    base = f"/liveui/ws?token={app.live_token(login)}&c={app.specs()}"
    # A 9 KB request line (as a page with many components makes) is accepted...
    status, took = raw_upgrade(server.port, base + "&pad=" + "x" * 9000)
    assert status == b"HTTP/1.1 101 Switching Protocols" and took < ANSWER_WITHIN
    # ...and one far beyond any page is refused at once, never left hanging.
    status, took = raw_upgrade(server.port, base + "&pad=" + "x" * 70_000)
    assert status.startswith(b"HTTP/1.1 414") and took < ANSWER_WITHIN
    status, took = raw_upgrade(server.port, "/socket/websocket?vsn=2.0.0&pad=" + "x" * 70_000)
    assert status.startswith(b"HTTP/1.1 414") and took < ANSWER_WITHIN


async def test_bodies_over_the_limit_get_413_before_they_are_read(
    served: tuple[SecureApp, LiveServer],
) -> None:
    app, server = served
    login = app.revocations.login("1")
    headers = {"X-LiveUI-Token": app.live_token(login)}
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        big = await client.post("/liveui/event", content=b"x" * (65 * 1024), headers=headers)
        assert big.status_code == 413

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
            for _ in range(100):
                yield b"event=bump&" + b"x" * 4096

        chunked = await client.post("/liveui/event", content=chunks(), headers=headers)
        assert chunked.status_code == 413
        small = await client.post(
            "/liveui/event",
            data={"event": "bump", "spec": '{"c":"auth_test_ticker","p":{}}', "n": "3"},
            headers=headers,
        )
        assert small.status_code == 204


async def test_live_actions_are_rate_limited_per_user(
    served: tuple[SecureApp, LiveServer],
) -> None:
    app, server = served
    tabs = [app.live_token(app.revocations.login("5")) for _ in range(2)]
    form = {"event": "bump", "spec": '{"c":"auth_test_ticker","p":{}}', "n": "1"}
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        statuses = [
            (await client.post("/liveui/event", data=form, headers={"X-LiveUI-Token": t}))
            for t in tabs * 5
        ]
        codes = [r.status_code for r in statuses]
        assert codes[:5] == [204] * 5  # the burst, across both tabs of the user
        assert 429 in codes[5:]
        assert next(r for r in statuses if r.status_code == 429).headers["retry-after"] == "1"
        # Another user is not slowed down by the first one's budget.
        other = app.live_token(app.revocations.login("6"))
        ok = await client.post("/liveui/event", data=form, headers={"X-LiveUI-Token": other})
        assert ok.status_code == 204


async def test_a_user_holds_a_bounded_number_of_live_sessions(
    served: tuple[SecureApp, LiveServer],
) -> None:
    """Policy "oldest closed": the fourth page of a user with a cap of 3 ends the first."""
    app, server = served
    login = app.revocations.login("9")
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        streams = []
        try:
            for _ in range(4):
                stream = client.stream(
                    "GET", "/liveui/sse", params={"token": app.live_token(login), "c": app.specs()}
                )
                response = await stream.__aenter__()
                assert response.status_code == 200
                streams.append((stream, response))
            last = ""
            async with asyncio.timeout(5):
                async for line in streams[0][1].aiter_lines():
                    last = line or last
            assert "too many open pages" in last
            assert app.live.registry.count_for("9") == 3
        finally:
            for stream, _ in streams:
                await stream.__aexit__(None, None, None)


async def test_a_user_holds_a_bounded_number_of_sockets() -> None:
    """Policy "new refused": beyond `max_sockets_per_user`, the upgrade gets 403."""
    node = Node()
    app = build(node)
    app.endpoint.settings = ChannelSettings(max_sockets_per_user=2)
    with serve(app.app, timeout_graceful_shutdown=1) as server:
        def url() -> str:
            token = app.socket_token(app.revocations.login("3"))
            return f"{server.ws_url}/socket/websocket?vsn=2.0.0&token={token}"

        first, second = await websockets.connect(url()), await websockets.connect(url())
        try:
            assert await status_of(url(), None) == 403
            other = app.socket_token(app.revocations.login("4"))
            assert await status_of(
                f"{server.ws_url}/socket/websocket?vsn=2.0.0&token={other}", None
            ) == 101
            await first.close()
            deadline = time.monotonic() + 5
            while await status_of(url(), None) != 101:  # the freed place is taken again
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
        finally:
            await first.close()
            await second.close()


def test_endpoint_settings_default_to_checking_origin() -> None:
    assert Endpoint(Node()).settings.check_origin is True
    assert LiveSettings().check_origin is True
