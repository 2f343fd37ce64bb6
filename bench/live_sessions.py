"""Live sessions at scale: memory per live session and patch throughput for N connections.

    python -m bench.live_sessions --transport sse|ws|naive --sessions N [--users U] [--updates M]

The server (`--server`, `--ws`: see `bench.servers`; uvicorn with httptools and
`UvicornWebSocketProtocol` by default) runs in a subprocess pinned to CPU 0, serving a LiveUI
with a real Dispatch on SQLite (three order counters plus notifications); this process and its N
connections are pinned to CPU 1. Each connection is one tab of a demo page: four badges
(`pending_orders`, `cart_items`, `active_tickets`, `unread_notifications`), the notification
dropdown and its bell badge, with the etags a rendered page sends, so connecting mounts from the
database and pushes nothing but the id marker. The N connections are spread over U users
(default N/10); SSE clients are raw asyncio protocols, WebSocket clients the `websockets` library.

RSS is read from /proc before the connections open and once every connection has its first
event. Then M waves: each asks the server (an HTTP call) to broadcast `counter_updated` for
`pending_orders` with a higher version to every user's topic; the next wave starts when every
connection received that patch. Latency is receive time minus the server's monotonic clock when
the wave's broadcast started (one clock on one machine).

`--transport naive` serves the same waves without liveui, as a user would write it: Starlette +
sse-starlette, one bounded queue per client, the badge rendered with Jinja per client per
change (the yardstick for patches per server CPU-second and KB per session).

`--profile cpu` runs cProfile in the server over the waves and prints its top functions;
`--profile mem` runs tracemalloc in the server over the connection phase and prints where the
memory of the sessions was allocated (RSS figures are then meaningless).

Prints, last two lines:
    kb_per_session=<x> patches_per_server_cpu_s=<y>
    sessions=<n> transport=<t> p99_ms=<z>
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bench.measure import (
    CONTROL_LIMITS,
    cpu_seconds,
    percentile,
    rss_kb,
    run_clients,
    start_pinned_server,
    stop_pinned_server,
)
from bench.profiling import cpu_profile_endpoint, memory_endpoint
from bench.servers import SERVERS, WS_IMPLEMENTATIONS, ws_for

SECRET = "bench-live-sessions-secret-32-characters-long"
COUNTER = "pending_orders"
BADGES = ("pending_orders", "cart_items", "active_tickets", "unread_notifications")
ETAG_MARK = b'data-live-etag="'


# the server ------------------------------------------------------------------------------------
def build_app(db: Path, transport: str, profile: str | None) -> Any:
    from sqlalchemy import ForeignKey, String
    from sqlalchemy.ext.asyncio import create_async_engine
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse, Response
    from starlette.routing import Route

    from liveui import Dispatch, DispatchSettings, LiveUI, Node, counter, notification_model

    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(20), default="")

    def status_counter(name: str, status: str) -> Any:
        return counter(name, where=lambda: Order.status == status, owner=lambda: Order.user_id)

    class Order(Base):
        __tablename__ = "orders"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
        status: Mapped[str] = mapped_column(String(20), default="pending")
        __counters__ = [
            status_counter("pending_orders", "pending"),
            status_counter("cart_items", "cart"),
            status_counter("active_tickets", "ticket"),
        ]

    notification = notification_model(Base, user_fk="users.id")
    engine = create_async_engine(f"sqlite+aiosqlite:///{db}")
    node = Node()
    dispatch = Dispatch(
        DispatchSettings(models=[Order], user_model=User, notification_model=notification),
        node=node,
        engine=engine,
    )
    live = LiveUI(node=node, dispatch=dispatch, secret_key=SECRET,
                  transport="ws" if transport == "ws" else "sse", get_user_id=lambda r: None)

    async def setup(request: Request) -> Response:
        users = int(request.query_params["users"])
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
            await conn.execute(User.__table__.insert(), [{"id": i} for i in range(1, users + 1)])
        return PlainTextResponse("ok")

    async def broadcast(request: Request) -> Response:
        users, value = int(request.query_params["users"]), int(request.query_params["value"])
        started = time.monotonic()
        # Versions are wall-clock microseconds like the dispatch's, so they beat the mounted ones.
        payload = {"counter": COUNTER, "value": value, "version": time.time_ns() // 1000}
        for user_id in range(1, users + 1):
            node.broadcast(f"user:{user_id}", "counter_updated", payload)
        return JSONResponse({"t": started})

    async def health(request: Request) -> Response:
        sessions = live.registry.sessions.values()
        return JSONResponse({"sessions": len(live.registry),
                             "connections": sum(len(s.connections) for s in sessions),
                             "paused": live.registry.paused_count()})

    @contextlib.asynccontextmanager
    async def lifespan(app: object) -> AsyncIterator[None]:
        async with node.lifespan(app):
            try:
                yield
            finally:
                await engine.dispose()

    routes = [*live.routes(static=False),
              Route("/setup", setup, methods=["POST"]),
              Route("/broadcast", broadcast, methods=["POST"]),
              Route("/health", health)]
    if profile == "cpu":
        routes.append(Route("/debug/profile", cpu_profile_endpoint(), methods=["POST"]))
    if profile == "mem":
        memory = memory_endpoint("session", lambda request: len(live.registry))
        routes.append(Route("/debug/memory", memory, methods=["POST"]))
    return Starlette(routes=routes, lifespan=lifespan)


NAIVE_BADGE = """<span id="badge-{{ counter }}" class="liveui-badge" data-counter="{{ counter }}" \
data-live-etag="{{ version }}" aria-label="{{ label }}: {{ value }}" title="{{ label }}">\
{{ value }}</span>"""


def build_naive_app() -> Any:
    """What a user would write without liveui: Starlette + sse-starlette, one bounded queue per
    client, and each client's badge rendered with Jinja when its counter changes."""
    import jinja2
    from sse_starlette import EventSourceResponse, ServerSentEvent
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse, Response
    from starlette.routing import Route

    badge = jinja2.Environment(autoescape=True).from_string(NAIVE_BADGE)
    clients: dict[int, set[asyncio.Queue[dict[str, Any]]]] = {}

    def render(change: dict[str, Any]) -> str:
        counter = change["counter"]
        return badge.render(counter=counter, label=counter.replace("_", " "),
                            value=change["value"], version=change["value"])

    async def sse(request: Request) -> Response:
        user_id = int(request.query_params["user"])
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=100)
        clients.setdefault(user_id, set()).add(queue)

        async def events() -> AsyncIterator[ServerSentEvent]:
            try:
                # The page was rendered with the current values: the stream starts with nothing
                # to patch, like liveui's id marker.
                yield ServerSentEvent(event="patch", data="")
                while True:
                    yield ServerSentEvent(event="patch", data=render(await queue.get()))
            finally:
                clients[user_id].discard(queue)

        return EventSourceResponse(events())

    async def setup(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def broadcast(request: Request) -> Response:
        users, value = int(request.query_params["users"]), int(request.query_params["value"])
        started = time.monotonic()
        change = {"counter": COUNTER, "value": value}
        for user_id in range(1, users + 1):
            for queue in clients.get(user_id, ()):
                with contextlib.suppress(asyncio.QueueFull):  # a stuck client misses changes
                    queue.put_nowait(change)
        return JSONResponse({"t": started})

    async def health(request: Request) -> Response:
        count = sum(len(queues) for queues in clients.values())
        return JSONResponse({"sessions": count, "connections": count})

    return Starlette(routes=[Route("/naive/sse", sse), Route("/setup", setup, methods=["POST"]),
                             Route("/broadcast", broadcast, methods=["POST"]),
                             Route("/health", health)])


def serve(port: int, transport: str, profile: str | None, server: str, ws: str) -> None:
    from bench.servers import serve as serve_app

    if profile == "mem":
        import tracemalloc

        tracemalloc.start(4)
    with tempfile.TemporaryDirectory() as tmp:
        naive = transport == "naive"
        app = build_naive_app() if naive else build_app(Path(tmp) / "bench.db", transport, profile)
        serve_app(app, port, server=server, ws=ws, stock=naive)


# the clients -----------------------------------------------------------------------------------
def page_query() -> str:
    """The `c=` parameter of a demo page whose counters are all 0 and has no notifications."""
    from liveui import LiveBadge, NotificationDropdown
    from liveui.live.specs import encode_specs

    components: list[Any] = [LiveBadge(name, label=name.replace("_", " ")) for name in BADGES]
    dropdown = NotificationDropdown(limit=10)
    components += [dropdown, LiveBadge("unread_notifications", hide_zero=True,
                                       id=f"{dropdown.id}-count")]
    return encode_specs([{**c.spec(), "e": c.etag()} for c in components])


class Stats:
    def __init__(self) -> None:
        self.ready = 0
        self.patches = 0
        self.arrivals: list[tuple[int, float]] = []
        self.sent_at: dict[int, float] = {}
        self.changed = asyncio.Event()
        self.errors: list[str] = []

    def latencies_ms(self, first_version: int) -> list[float]:
        sent = self.sent_at
        return [(at - sent[v]) * 1000 for v, at in self.arrivals if v >= first_version]

    def first_event(self) -> None:
        self.ready += 1
        self.changed.set()

    def patch(self, text: bytes | str, at: float) -> None:
        """One badge patch: its value is in the etag attribute."""
        raw = text.encode() if isinstance(text, str) else text
        start = raw.find(ETAG_MARK)
        while start >= 0:
            start += len(ETAG_MARK)
            self.arrivals.append((int(raw[start : raw.index(b'"', start)]), at))
            self.patches += 1
            start = raw.find(ETAG_MARK, start)
        self.changed.set()


class SSEClient(asyncio.Protocol):
    """An SSE stream read with a bare protocol: cheap enough to keep 3,000 on one core."""

    def __init__(self, request: bytes, stats: Stats) -> None:
        self.request, self.stats = request, stats
        self.buffer = b""
        self.started = False

    def connection_made(self, transport: Any) -> None:
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data
        end = buffer.rfind(b"\r\n\r\n")
        if end < 0:
            self.buffer = buffer
            return
        done, self.buffer = buffer[: end + 4], buffer[end + 4 :]
        if not self.started:
            if not done.startswith(b"HTTP/1.1 200"):
                self.stats.errors.append(done[:200].decode(errors="replace"))
                return
            if b"event: patch" not in done:
                self.buffer = done + self.buffer  # only the headers so far
                return
            self.started = True
            self.stats.first_event()
            done = done[done.index(b"event: patch") + 12 :]
        if ETAG_MARK in done:
            self.stats.patch(done, time.monotonic())

    def connection_lost(self, exc: Exception | None) -> None:
        self.stats.errors.append(f"sse connection lost: {exc}")


async def open_sse(port: int, path: str, stats: Stats) -> Any:
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               "Accept: text/event-stream\r\n\r\n").encode()
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_connection(lambda: SSEClient(request, stats),
                                                "127.0.0.1", port)
    return transport


async def open_ws(port: int, path: str, stats: Stats) -> Any:
    from websockets.asyncio.client import connect

    ws = await connect(f"ws://127.0.0.1:{port}{path}", compression=None, max_queue=None,
                       open_timeout=120, ping_interval=None)  # no keepalive: see bench.servers

    async def read() -> None:
        first = True
        async for frame in ws:
            if first:
                first = False
                stats.first_event()
                continue
            if isinstance(frame, str) and 'data-live-etag="' in frame:
                stats.patch(frame, time.monotonic())
        stats.errors.append("websocket closed")

    task = asyncio.get_running_loop().create_task(read())
    return ws, task


async def wait_for(condition: Callable[[], bool], stats: Stats, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if stats.errors:
            raise SystemExit(f"bench: {len(stats.errors)} error(s), first: {stats.errors[0]}")
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: timed out waiting for {what}")
        stats.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stats.changed.wait(), 0.5)




async def run(args: argparse.Namespace) -> None:
    import httpx

    from liveui.live.session_token import make_token
    from liveui.testing import free_port

    users = args.users or max(1, args.sessions // 10)
    port = free_port()
    command = [sys.executable, "-m", "bench.live_sessions", "--serve", str(port),
               "--transport", args.transport, "--server", args.server, "--ws", args.ws]
    if args.profile:
        command += ["--profile", args.profile]
    server = start_pinned_server(command)
    stats = Stats()
    conns: list[Any] = []
    warm: list[Any] = []
    http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120,
                             limits=CONTROL_LIMITS)
    try:
        for _ in range(400):
            if server.poll() is not None:
                raise SystemExit("bench: the server did not start")
            with contextlib.suppress(httpx.TransportError):
                await http.get("/health")
                break
            await asyncio.sleep(0.05)
        (await http.post("/setup", params={"users": users + 1})).raise_for_status()
        specs = page_query()
        opener = open_ws if args.transport == "ws" else open_sse
        endpoint = "/liveui/ws" if args.transport == "ws" else "/liveui/sse"

        def path(user_id: int) -> str:
            if args.transport == "naive":
                return f"/naive/sse?user={user_id}"
            _, token = make_token(SECRET, user_id)
            return f"{endpoint}?token={quote(token)}&c={specs}"

        # Warm-up tabs of a user no wave reaches: templates compiled, pools and caches filled.
        warm = [await opener(port, path(users + 1), stats) for _ in range(20)]
        await wait_for(lambda: stats.ready >= len(warm), stats, 30, "the warm-up tabs")
        # Settling: a second for thousands of sessions, a tenth of it for a smoke run of a few.
        settle = min(1.0, 0.1 + args.sessions / 1000)
        await asyncio.sleep(settle)
        if args.profile == "mem":
            await http.post("/debug/memory", params={"mark": "1"})
        rss_before = rss_kb(server.pid)
        cpu_before, t0 = cpu_seconds(server.pid), time.perf_counter()
        gate = asyncio.Semaphore(100)

        async def one(i: int) -> Any:
            async with gate:
                return await opener(port, path(1 + i % users), stats)

        conns = await asyncio.gather(*(one(i) for i in range(args.sessions)))
        expected_ready = len(warm) + args.sessions
        await wait_for(lambda: stats.ready >= expected_ready, stats, 120, "every first event")
        connect_s = time.perf_counter() - t0
        connect_cpu = cpu_seconds(server.pid) - cpu_before
        await asyncio.sleep(settle)  # let the node settle after the connection storm
        kb_per_session = (rss_kb(server.pid) - rss_before) / args.sessions
        health = (await http.get("/health")).json()
        if args.profile == "mem":
            print((await http.post("/debug/memory")).text)

        version = 0

        async def wave() -> None:
            nonlocal version
            version += 1
            expected = stats.patches + args.sessions
            answer = await http.post("/broadcast", params={"users": users, "value": version})
            stats.sent_at[version] = answer.json()["t"]
            await wait_for(lambda: stats.patches >= expected, stats, 60,
                           f"{expected - stats.patches} patches of wave {version}")

        # Two warm-up waves: the render cache and the send paths are hot before measuring.
        for _ in range(2):
            await wave()
        first_measured = version + 1
        base_patches = stats.patches
        if args.profile == "cpu":
            await http.post("/debug/profile", params={"on": "1"})
        cpu0, t0 = cpu_seconds(server.pid), time.perf_counter()
        for _ in range(args.updates):
            await wave()
        elapsed, cpu = time.perf_counter() - t0, cpu_seconds(server.pid) - cpu0
        if args.profile == "cpu":
            print((await http.post("/debug/profile", params={"on": "0"})).text)
        patches = stats.patches - base_patches
        late = stats.latencies_ms(first_measured)
        print(f"transport={args.transport} sessions={args.sessions} users={users} "
              f"server_sessions={health['sessions']} connections={health['connections']} "
              f"connect_s={connect_s:.1f} connect_server_cpu_ms_per_session="
              f"{connect_cpu * 1000 / args.sessions:.2f}")
        print(f"updates_per_user={args.updates} patches={patches} elapsed_s={elapsed:.2f} "
              f"server_cpu_s={cpu:.2f} patches_per_s={patches / elapsed:.0f} "
              f"p50_ms={percentile(late, 0.5):.1f} latency_samples={len(late)}")
        print(f"kb_per_session={kb_per_session:.1f} "
              f"patches_per_server_cpu_s={patches / max(cpu, 1e-9):.0f}")
        print(f"sessions={args.sessions} transport={args.transport} server={args.server} "
              f"ws={ws_for(args.server, args.ws) if args.transport == 'ws' else '-'} "
              f"p99_ms={percentile(late, 0.99):.1f}")
    finally:
        await http.aclose()
        for conn in [*conns, *warm]:
            if isinstance(conn, tuple):
                conn[1].cancel()
                conn[0].transport.abort()
            else:
                conn.abort()
        await asyncio.sleep(settle / 2)  # the server sees the disconnects before it is stopped
        stop_pinned_server(server)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transport", choices=["sse", "ws", "naive"], default="sse",
                        help="naive: no liveui, Starlette + sse-starlette with one queue per "
                             "client and the badge rendered with Jinja per client per change")
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--users", type=int, default=0, help="default: sessions / 10")
    parser.add_argument("--updates", type=int, default=30,
                        help="counter updates per user measured (waves)")
    parser.add_argument("--profile", choices=["cpu", "mem"], default=None)
    parser.add_argument("--server", choices=SERVERS, default="uvicorn-httptools")
    parser.add_argument("--ws", choices=WS_IMPLEMENTATIONS, default="liveui",
                        help="uvicorn's WebSocket implementation (liveui: "
                             "UvicornWebSocketProtocol); granian and hypercorn have their own")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.transport, args.profile, args.server, args.ws)
        return
    run_clients(run(args))


if __name__ == "__main__":
    main()
