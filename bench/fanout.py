"""Fan-out benchmark: one liveui node, N WebSocket clients on one topic, many small broadcasts.

    python -m bench.fanout --backend naive|memory|redis|postgres --clients 5000 --wave 1

The node is uvicorn in a subprocess (pinned to CPU 0; this process and its clients to CPU 1)
with one Endpoint and a trivial channel. With `memory` the node broadcasts itself (an HTTP call
asks it to); with `redis`/`postgres` a second hub in this process publishes, so every message
really crosses the backend. `naive` serves the same protocol subset with a plain Starlette
loop of `await websocket.send_text(...)`, the yardstick. By default liveui runs on
`UvicornWebSocketProtocol`. `--server` and `--ws` pick the ASGI server and uvicorn's WebSocket
implementation for both (see `bench.servers`; the naive server never gets raw frames).
Broadcasts go out in waves of `--wave` (1: one at a time, a dashboard's normal traffic); the
next wave starts when every client received the previous one. The file limit is raised to the
hard limit on both sides.

Prints, last two lines:
    deliveries_per_server_cpu_s=<x> kb_per_connection=<y>
    clients=<n> deliveries_per_s=<x> p99_ms=<y>
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import sys
import time
from typing import Any

from bench.measure import (
    CONTROL_LIMITS,
    GcClock,
    cpu_seconds,
    cpu_split,
    percentile,
    rss_kb,
    run_clients,
    start_pinned_server,
)
from bench.memory_trace import memory_route, start_tracing
from bench.profiling import cpu_profile_endpoint
from bench.servers import SERVERS, WS_IMPLEMENTATIONS, ws_for

TOPIC = "bench:room"
PAD = "x" * 24  # makes the V2 frame about 80 bytes



def gc_route(clock: GcClock) -> Any:
    """GET /gc: the garbage collector's seconds and runs per generation so far."""
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def report(request: Any) -> Any:
        return JSONResponse({"seconds": clock.seconds, "runs": clock.runs})

    return Route("/gc", report)


# the node --------------------------------------------------------------------------------------
def build_app(pubsub_url: str, trace_memory: bool) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from liveui import Channel, ChannelSettings, Endpoint, Node, Socket, channel, ok

    class RoomChannel(Channel):
        async def join(self, topic: str, payload: Any, socket: Any) -> Any:
            return ok({})

    class BenchSocket(Socket):
        channels = [channel("bench:*", RoomChannel)]

    # Clients of a long run do not heartbeat: the bench must not be cut by the idle timeout.
    endpoint = Endpoint(Node(pubsub_url=pubsub_url), settings=ChannelSettings(idle_timeout=3600))

    async def broadcast(request: Request) -> PlainTextResponse:
        start, count = int(request.query_params["start"]), int(request.query_params["count"])
        for i in range(start, start + count):
            endpoint.broadcast(TOPIC, "m", {"t": time.monotonic(), "i": i, "p": PAD})
        return PlainTextResponse("ok")

    async def health(request: Request) -> PlainTextResponse:
        return PlainTextResponse(str(len(endpoint.connections)))

    routes = [Route("/broadcast", broadcast, methods=["POST"]), Route("/health", health),
              Route("/profile", cpu_profile_endpoint(), methods=["POST"]),
              endpoint.mount("/socket", BenchSocket())]
    if trace_memory:
        routes.append(memory_route(lambda: len(endpoint.connections)))
    return Starlette(routes=routes, lifespan=endpoint.node.lifespan)


def build_naive_app(trace_memory: bool) -> Any:
    """The yardstick: plain Starlette, `await websocket.send_text` per connection."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    sockets: set[WebSocket] = set()

    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        join = json.loads(await websocket.receive_text())
        await websocket.send_text(json.dumps(
            [join[0], join[1], join[2], "phx_reply", {"status": "ok", "response": {}}]))
        sockets.add(websocket)
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect:
            sockets.discard(websocket)

    async def broadcast(request: Request) -> PlainTextResponse:
        start, count = int(request.query_params["start"]), int(request.query_params["count"])
        for i in range(start, start + count):
            payload = {"t": time.monotonic(), "i": i, "p": PAD}
            text = json.dumps([None, None, TOPIC, "m", payload], separators=(",", ":"))
            for websocket in list(sockets):
                with contextlib.suppress(Exception):
                    await websocket.send_text(text)
        return PlainTextResponse("ok")

    async def health(request: Request) -> PlainTextResponse:
        return PlainTextResponse(str(len(sockets)))

    routes = [Route("/broadcast", broadcast, methods=["POST"]), Route("/health", health),
              WebSocketRoute("/socket/websocket", socket)]
    if trace_memory:
        routes.append(memory_route(lambda: len(sockets)))
    return Starlette(routes=routes)


def serve(port: int, pubsub_url: str, server: str, ws: str, trace_memory: bool) -> None:
    from bench.servers import serve as serve_app

    raise_file_limit()
    if trace_memory:
        start_tracing()
    naive = pubsub_url == "naive"
    app = build_naive_app(trace_memory) if naive else build_app(pubsub_url, trace_memory)
    clock = GcClock()
    gc.callbacks.append(clock)
    app.router.routes.append(gc_route(clock))
    # The naive server is what a user would write: no raw frames, the server's own framing.
    serve_app(app, port, server=server, ws=ws, stock=naive)


def raise_file_limit() -> None:
    """One descriptor per connection on each side: lift the soft limit to the hard one."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# the clients -----------------------------------------------------------------------------------
class Stats:
    def __init__(self) -> None:
        self.received = 0
        self.latencies: list[float] = []
        self.changed = asyncio.Event()


async def client(url: str, stats: Stats, joined: asyncio.Event, ready: list[int]) -> Any:
    from websockets.asyncio.client import connect

    ws = await connect(url, compression=None, max_queue=None, open_timeout=60,
                       ping_interval=None)  # no keepalive: see bench.servers
    await ws.send(json.dumps(["1", "1", TOPIC, "phx_join", {}]))
    reply = json.loads(await ws.recv())
    if reply[3] != "phx_reply" or reply[4]["status"] != "ok":
        raise RuntimeError(f"join refused: {reply}")
    ready[0] += 1
    joined.set()

    async def read() -> None:
        monotonic, latencies = time.monotonic, stats.latencies
        async for frame in ws:
            text = frame if isinstance(frame, str) else frame.decode()
            at = text.find('"t":')
            if at < 0:
                continue
            sent = float(text[at + 4 : text.index(",", at)])
            latencies.append(monotonic() - sent)
            stats.received += 1
            stats.changed.set()

    return ws, asyncio.get_running_loop().create_task(read())


async def wait_for(condition: Any, changed: asyncio.Event, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: timed out waiting for {what}")
        changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), 0.5)


async def run(args: argparse.Namespace) -> None:
    import httpx

    from liveui import Node
    from liveui.testing import free_port

    url = {"memory": "memory://", "redis": args.redis_url, "postgres": args.postgres_url,
           "naive": "naive"}
    pubsub_url = url[args.backend]
    port = free_port()
    server = start_pinned_server(
        [sys.executable, "-m", "bench.fanout", "--serve", str(port), "--pubsub-url", pubsub_url,
         "--server", args.server, "--ws", args.ws, *(["--trace-memory"] * args.trace_memory)]
    )
    publisher: Node | None = None
    sockets: list[Any] = []
    try:
        http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120,
                             limits=CONTROL_LIMITS)
        for _ in range(600):  # up to 30 s: a loaded machine starts slowly
            with contextlib.suppress(httpx.TransportError):
                await http.get("/health")
                break
            await asyncio.sleep(0.05)
        if args.trace_memory:
            await http.post("/debug/memory", params={"mark": "1"})
        rss_before = rss_kb(server.pid)

        stats, joined, ready = Stats(), asyncio.Event(), [0]
        ws_url = f"ws://127.0.0.1:{port}/socket/websocket?vsn=2.0.0"
        gate = asyncio.Semaphore(200)

        async def one() -> Any:
            async with gate:
                return await client(ws_url, stats, joined, ready)

        sockets = await asyncio.gather(*(one() for _ in range(args.clients)))
        # Let the node settle after the connection storm (a second for thousands of clients;
        # a smoke run of a few needs a tenth of it).
        await asyncio.sleep(min(1.0, 0.1 + args.clients / 1000))
        kb_per_connection = (rss_kb(server.pid) - rss_before) / args.clients
        if args.trace_memory:
            print((await http.post("/debug/memory")).text)

        if args.backend not in ("memory", "naive"):
            publisher = Node(pubsub_url=pubsub_url)
            await publisher.start()
        sent = 0

        async def wave(count: int) -> None:
            nonlocal sent
            if publisher is None:
                await http.post("/broadcast", params={"start": sent, "count": count})
            else:
                for i in range(sent, sent + count):
                    publisher.broadcast(TOPIC, "m", {"t": time.monotonic(), "i": i, "p": PAD})
            sent += count
            expected = sent * args.clients
            await wait_for(lambda: stats.received >= expected, stats.changed, 60,
                           f"{expected - stats.received} deliveries")

        if publisher is not None:  # the node's subscription must be live before we measure
            deadline = time.monotonic() + 10
            while stats.received == 0 and time.monotonic() < deadline:
                publisher.broadcast(TOPIC, "m", {"t": time.monotonic(), "i": -1, "p": PAD})
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.5)
            stats.received = 0
        await wave(args.wave)  # warm-up
        stats.latencies.clear()
        base_received, base_sent = stats.received, sent

        if args.profile:
            await http.post("/profile", params={"on": "1"})
        gc0 = (await http.get("/gc")).json()
        cpu0, t0 = cpu_seconds(server.pid), time.perf_counter()
        user0, system0 = cpu_split(server.pid)
        while sent - base_sent < args.messages:
            await wave(min(args.wave, args.messages - (sent - base_sent)))
        elapsed, cpu = time.perf_counter() - t0, cpu_seconds(server.pid) - cpu0
        user1, system1 = cpu_split(server.pid)
        gc1 = (await http.get("/gc")).json()
        if args.profile:
            print((await http.post("/profile")).text)
        deliveries = stats.received - base_received
        latencies = sorted(stats.latencies)
        p99 = percentile(latencies, 0.99) * 1000
        ws = ws_for(args.server, args.ws)
        if args.backend == "naive" and ws == "liveui":
            ws = "websockets-sansio"
        print(f"backend={args.backend} server={args.server} ws={ws} "
              f"wave={args.wave} clients={args.clients} messages={args.messages} "
              f"deliveries={deliveries} elapsed_s={elapsed:.2f} server_cpu_s={cpu:.2f} "
              f"(user {user1 - user0:.2f}, system {system1 - system0:.2f}; "
              f"gc {sum(gc1['seconds']) - sum(gc0['seconds']):.2f} s, full collections "
              f"{gc1['runs'][2] - gc0['runs'][2]})")
        print(f"deliveries_per_server_cpu_s={deliveries / max(cpu, 1e-9):.0f} "
              f"kb_per_connection={kb_per_connection:.1f}")
        print(f"clients={args.clients} deliveries_per_s={deliveries / elapsed:.0f} "
              f"p99_ms={p99:.1f}")
        await http.aclose()
    finally:
        if publisher is not None:
            await publisher.stop()
        for _ws, reader in sockets:
            reader.cancel()
        server.terminate()
        server.wait(10)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["memory", "redis", "postgres", "naive"],
                        default="memory", help="naive: no liveui, the plain Starlette yardstick")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=200, help="broadcasts measured")
    parser.add_argument("--wave", type=int, default=20, help="broadcasts per wave")
    parser.add_argument("--redis-url", default=os.environ.get("LIVEUI_TEST_REDIS_URL",
                                                              "redis://127.0.0.1:6379/0"))
    parser.add_argument("--postgres-url", default=os.environ.get(
        "LIVEUI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--server", choices=SERVERS, default="uvicorn-httptools")
    parser.add_argument("--ws", choices=WS_IMPLEMENTATIONS, default="liveui",
                        help="uvicorn's WebSocket implementation; liveui: UvicornWebSocketProtocol "
                             "(websockets-sansio plus raw frames; the naive server gets "
                             "websockets-sansio). granian and hypercorn have their own")
    parser.add_argument("--profile", action="store_true",
                        help="run cProfile in the server over the measured waves, print its top")
    parser.add_argument("--trace-memory", action="store_true",
                        help="tracemalloc in the server over the connection phase: print where "
                             "the memory per connection went (RSS figures are then meaningless)")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--pubsub-url", default="memory://", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.pubsub_url, args.server, args.ws, args.trace_memory)
        return
    raise_file_limit()
    run_clients(run(args))


if __name__ == "__main__":
    main()
