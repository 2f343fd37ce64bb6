"""Requests that never end, against a real uvicorn on loopback with `UvicornHttpProtocol`:
headers streamed without end, too many headers, idle and trickling connections, bodies that
trickle, and many unfinished connections from one address. Each is refused (431, 408, 429) and
closed, within its bound, with one INFO line and no traceback; a request within the bounds, an
established SSE stream and an upgraded WebSocket are untouched."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import websockets
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bench.header_flood import flood, peak_rss_kb, start_server
from liveui import HttpLimits
from liveui._server import http_protocol as uvicorn_http
from liveui.log_limit import RefusalLog
from liveui.server import http_protocol, uvicorn_options
from liveui.testing import LiveServer, free_port, serve
from tests.support.server_log import server_log
from tests.support.waiting import block_until

LIMITS = HttpLimits(header_timeout=1.0, body_timeout=1.0, body_min_rate=1024,
                    max_pending_per_address=8)


async def ok(request: Request) -> PlainTextResponse:
    body = await request.body()
    return PlainTextResponse(f"ok {len(body)}")


async def late_reader(request: Request) -> PlainTextResponse:
    await asyncio.sleep(2.5)  # an app busy elsewhere first: past the body timeout
    return await ok(request)


async def ticks(request: Request) -> StreamingResponse:
    async def events() -> AsyncIterator[bytes]:
        for n in range(int(request.query_params["n"])):
            yield f"data: {n}\n\n".encode()
            await asyncio.sleep(0.1)

    return StreamingResponse(events(), media_type="text/event-stream")


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await websocket.send_text(await websocket.receive_text())


APP = Starlette(routes=[Route("/", ok, methods=["GET", "POST"]), Route("/ticks", ticks),
                        Route("/late", late_reader, methods=["POST"]),
                        WebSocketRoute("/echo", echo)])


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with serve(APP, http=http_protocol(LIMITS)) as served:
        yield served


@pytest.fixture
def refusals(
    server: LiveServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> Iterator[pytest.LogCaptureFixture]:
    # each test starts a fresh window: its first refusal of each kind is logged
    monkeypatch.setattr(uvicorn_http, "_refusals", RefusalLog(uvicorn_http.log))
    caplog.set_level(logging.INFO, logger="liveui")
    caplog.set_level(logging.INFO, logger="uvicorn.error")
    with server_log(caplog):
        yield caplog
    call = caplog.get_records("call")  # the test's own (caplog.records is teardown's here)
    loud = [r for r in call if r.exc_info or r.levelno >= logging.WARNING]
    assert loud == [], [r.getMessage() for r in loud]


def connect(server: LiveServer) -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=10)
    return sock


def answer_of(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (raises on timeout: it did not close)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def status_of(data: bytes) -> int:
    return int(data.split(b" ", 2)[1])


def test_a_request_within_the_bounds_is_served(server: LiveServer, refusals: object) -> None:
    headers = {f"x-h{i}": "v" * 100 for i in range(60)} | {"cookie": "c=" + "x" * 8000}
    answer = httpx.post(server.url + "/", content=b"b" * 200_000, headers=headers, timeout=10)
    assert answer.status_code == 200 and answer.text == "ok 200000"


def test_headers_that_never_end_get_431_and_a_close(server: LiveServer, refusals: object) -> None:
    result = flood(server.port, connections=2, mib=64)
    assert [a[:12] for a in result.answers] == [b"HTTP/1.1 431"] * 2
    # closed after 32 KiB: what was sent beyond it sat in socket buffers
    assert max(result.sent) < 16 * 2**20, result.sent


def test_a_client_deaf_to_the_431_is_closed_within_the_linger_bound(
    server: LiveServer, refusals: object
) -> None:
    """The answer is sent and our side ended; what the client still sends is read and dropped,
    up to 1 MiB or 2 s, then the connection is closed."""
    sent = 0
    with connect(server) as sock:
        try:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            while sent < 256 * 2**20:
                sock.sendall(b"X-Pad: " + b"a" * 65000 + b"\r\n")
                sent += 65009
        except OSError:
            pass  # closed: the linger is over
    assert sent < 16 * 2**20, sent


def test_one_read_of_a_head_too_large_gets_431(server: LiveServer, refusals: object) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n")
        assert status_of(answer_of(sock)) == 431


def test_too_many_headers_get_431(server: LiveServer, refusals: object) -> None:
    with connect(server) as sock:
        lines = b"".join(b"X-%d: 1\r\n" % i for i in range(LIMITS.max_headers + 1))
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n" + lines + b"\r\n")
        assert status_of(answer_of(sock)) == 431


def test_a_websocket_upgrade_is_bounded_too(server: LiveServer, refusals: object) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\n" + b"X-Pad: aaaaaaaa\r\n" * 4000 + b"\r\n")
        assert status_of(answer_of(sock)) == 431


def test_an_idle_first_connection_gets_408(server: LiveServer, refusals: object) -> None:
    started = time.monotonic()
    with connect(server) as sock:
        assert status_of(answer_of(sock)) == 408
    assert time.monotonic() - started < LIMITS.header_timeout + 3


def trickle(sock: socket.socket, parts: list[bytes], every: float, stop: threading.Event) -> None:
    for part in parts:
        if stop.wait(every):
            return
        try:
            sock.sendall(part)
        except OSError:
            return


def test_trickling_headers_get_408(server: LiveServer, refusals: object) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n")
        stop = threading.Event()
        lines = [b"X-Slow: %d\r\n" % i for i in range(100)]
        sender = threading.Thread(target=trickle, args=(sock, lines, 0.2, stop))
        sender.start()
        try:
            assert status_of(answer_of(sock)) == 408
        finally:
            stop.set()
            sender.join()


def test_a_trickling_body_gets_408(server: LiveServer, refusals: object) -> None:
    with connect(server) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\n")
        stop = threading.Event()
        sender = threading.Thread(target=trickle, args=(sock, [b"x"] * 1000, 0.1, stop))
        sender.start()
        try:
            assert status_of(answer_of(sock)) == 408
        finally:
            stop.set()
            sender.join()
    # the app was reading the body: it sees a disconnect, and finishes without a server error
    block_until(lambda: not server.server.server_state.tasks, timeout=5, what="the app's task")


def test_a_body_the_app_is_slow_to_read_is_not_the_clients_fault() -> None:
    # 1 MiB: the server stops reading after 64 KiB until the app reads, 2.5 s later; at the
    # floor rate asked here, what had arrived would be worth a fraction of a second
    fast_floor = HttpLimits(header_timeout=1.0, body_timeout=1.0, body_min_rate=10**6)
    with serve(APP, http=http_protocol(fast_floor)) as server:
        answer = httpx.post(server.url + "/late", content=b"b" * 2**20, timeout=10)
    assert answer.status_code == 200 and answer.text == f"ok {2**20}"


def test_the_next_request_on_a_kept_alive_connection_is_timed(
    server: LiveServer, refusals: object
) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        first = sock.recv(1000)
        assert first.startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET / HTTP/1.1\r\n")  # and never the rest
        assert status_of(answer_of(sock)) == 408


async def test_an_established_stream_outlives_the_timeouts(
    server: LiveServer, refusals: object
) -> None:
    received = []
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=10) as client,
        client.stream("GET", "/ticks", params={"n": 30}) as response,
    ):
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                received.append(line)
    assert len(received) == 30  # 3 s, past both timeouts


async def test_an_upgraded_websocket_outlives_the_timeouts(
    server: LiveServer, refusals: object
) -> None:
    async with websockets.connect(server.ws_url + "/echo") as ws:
        for n in range(12):
            await ws.send(str(n))
            assert await ws.recv() == str(n)
            await asyncio.sleep(0.2)  # the client's pace: 2.4 s in all, past the timeouts


def test_unfinished_connections_per_address_are_capped(
    server: LiveServer, refusals: pytest.LogCaptureFixture
) -> None:
    cap = LIMITS.max_pending_per_address
    assert cap is not None
    idle = [connect(server) for _ in range(cap)]
    try:
        # the server counts a connection once its loop has accepted it: until the idle ones
        # are, one more is only timed out (408)
        deadline = time.monotonic() + 5
        while True:
            with connect(server) as extra:
                answer = answer_of(extra)
            if status_of(answer) == 429 or time.monotonic() > deadline:
                break
        assert status_of(answer) == 429
        # a bystander at another address is served meanwhile (all of 127/8 is loopback)
        other = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(transport=other, timeout=5) as bystander:
            assert bystander.get(server.url + "/").status_code == 200
    finally:
        for sock in idle:
            sock.close()
    deadline = time.monotonic() + 5
    while httpx.get(server.url + "/", timeout=5).status_code != 200:
        assert time.monotonic() < deadline, "the closed connections were not released"
    lines = [r.getMessage() for r in refusals.records if "429" in r.getMessage()]
    assert len(lines) == 1, lines  # one line however many refusals


def test_a_trusted_proxy_is_not_capped_per_address() -> None:
    cap = LIMITS.max_pending_per_address
    assert cap is not None
    options = uvicorn_options(http_limits=LIMITS, forwarded_allow_ips="127.0.0.1, 10.0.0.0/8")
    with serve(APP, **options) as server:
        idle = [connect(server) for _ in range(cap + 2)]
        try:
            # every one of them waits for its request, and is timed out as any other
            assert {status_of(answer_of(sock)) for sock in idle} == {408}
        finally:
            for sock in idle:
                sock.close()


def test_garbage_is_answered_400_without_a_warning(
    server: LiveServer, refusals: pytest.LogCaptureFixture
) -> None:
    with connect(server) as sock:
        sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n")
        assert status_of(answer_of(sock)) == 400
    assert any("400" in r.getMessage() for r in refusals.records)


def test_uvicorns_h11_protocol_gets_the_head_bound_from_the_options() -> None:
    """`http="h11"` after `uvicorn_options()`: h11 stops reading a head at the same size (its
    own answer is 400); it has no timeouts."""
    with serve(APP, http="h11") as server:
        result = flood(server.port, connections=1, mib=64)
    assert [a[:12] for a in result.answers] == [b"HTTP/1.1 400"]
    assert max(result.sent) < 16 * 2**20, result.sent


def test_an_unsupported_upgrade_is_served_as_http_without_a_warning(
    server: LiveServer, refusals: pytest.LogCaptureFixture
) -> None:
    answer = httpx.get(server.url + "/", headers={"Connection": "Upgrade", "Upgrade": "h2c"})
    assert answer.status_code == 200
    assert any("unsupported upgrade" in r.getMessage() for r in refusals.records)


def test_a_malformed_chunked_body_gets_400_without_a_warning(
    server: LiveServer, refusals: pytest.LogCaptureFixture
) -> None:
    with connect(server) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"zz\r\nnot a chunk\r\n")
        assert status_of(answer_of(sock)) == 400
    block_until(lambda: not server.server.server_state.tasks, timeout=5, what="the app's task")


async def test_a_malformed_websocket_frame_closes_quietly(
    server: LiveServer, refusals: pytest.LogCaptureFixture
) -> None:
    async with websockets.connect(server.ws_url + "/echo") as ws:
        ws.transport.write(b"\x83\x80\x00\x00\x00\x00")  # opcode 3 is reserved
        with pytest.raises(websockets.ConnectionClosed):
            await ws.recv()
    assert ws.close_code == 1002


def test_memory_stays_flat_while_four_connections_stream_128_mib_of_headers() -> None:
    port = free_port()
    process = start_server(port, stock=False)
    try:
        before = peak_rss_kb(process.pid)
        result = flood(port, connections=4, mib=128)
        after = peak_rss_kb(process.pid)
    finally:
        process.terminate()
        process.wait(10)
    assert [a[:12] for a in result.answers] == [b"HTTP/1.1 431"] * 4
    assert after - before < 4 * 1024, (before, after)  # KiB: a few MB at most


async def test_liveui_streams_outlive_the_timeouts() -> None:
    """liveui's own long-lived requests under the same short limits: an SSE stream and a live
    WebSocket get a broadcast made after both timeouts, and a long poll held past them is
    answered by its poll window, not cut off."""
    from liveui import ChannelSettings

    from .secure_app import TOPIC, build

    app = build()
    app.endpoint.settings = ChannelSettings(longpoll_window=2.5)
    with serve(app.app, http=http_protocol(LIMITS), timeout_graceful_shutdown=1) as server:
        login = app.revocations.login("streams")
        token = app.live_token(login)
        async with (
            httpx.AsyncClient(base_url=server.url, timeout=10) as client,
            client.stream("GET", "/liveui/sse", params={"token": token, "c": app.specs()}) as sse,
            websockets.connect(f"{server.ws_url}/liveui/ws?token={token}&c={app.specs()}",
                               origin=None) as ws,
        ):
            assert sse.status_code == 200
            started = time.monotonic()
            params = {"vsn": "2.0.0", "token": app.socket_token(login)}
            opened = (await client.get("/socket/longpoll", params=params)).json()
            assert opened["status"] == 410  # a session: poll with its token
            poll = await client.get("/socket/longpoll", params={**params,
                                                                "token": opened["token"]})
            assert poll.json()["status"] == 204  # the window ran out: 2.5 s, past the limits
            assert time.monotonic() - started > LIMITS.header_timeout + LIMITS.body_timeout
            app.node.broadcast(TOPIC, "tick", 77)
            async with asyncio.timeout(5):
                async for line in sse.aiter_lines():
                    if ">77</i>" in line:
                        break
                while ">77</i>" not in str(await ws.recv()):
                    pass
