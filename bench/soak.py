"""Soak: hold live sessions under a steady trickle of commits; the server's RSS and CPU per minute.

    python -m bench.soak --minutes 10 [--tabs 2000] [--sockets 500] [--commits-per-s 2] [--trace]

The server is `bench.storm_app` (LiveUI over SSE, `/socket` with `UserChannel`, a Dispatch on
PostgreSQL) in a subprocess pinned to CPU 0; the clients (`bench.live_clients`) on CPU 1, one
tab per user and the sockets spread evenly over the users. Every 1/`--commits-per-s` seconds
one commit through the server adds an order for 10 users in turn (each tab and socket of theirs
gets its update), and every tenth commit deletes what the previous ones added, so the data
stays bounded. Anti-entropy runs as configured (every session re-read each minute). Each minute
prints the server's RSS, its CPU seconds in that minute and the updates the clients got; at the
end, the largest deviation of RSS from its mean after the first (warm-up) minute. Each minute
also shows the seconds the server's garbage collector ran and its full (generation 2) passes,
and the work done: SQL statements, sessions verified by anti-entropy, recounts.
`--trace` runs tracemalloc in the server and prints, each minute, the 15 lines whose memory grew
most.

Prints, last line:
    rss_mb_mean=<x> rss_max_deviation_pct=<y> cpu_s_per_minute_mean=<z> minutes=<n>
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import subprocess
import sys
import time
from urllib.parse import quote

from sqlalchemy import delete

from bench.live_clients import Board, PhoenixClient, SSETab
from bench.measure import cpu_seconds, cpu_split, rss_kb, run_clients, start_pinned_server
from bench.reconnect_storm import create, page_specs, truth, wait_synced, wait_up
from bench.storm_app import SECRET, Models, gc_threshold_arg, raise_file_limit


async def run(args: argparse.Namespace) -> None:
    import httpx
    from sqlalchemy.ext.asyncio import create_async_engine

    from liveui import async_url
    from liveui.live.session_token import make_token
    from liveui.testing import free_port

    users = args.tabs
    prefix = f"bench_soak_{secrets.token_hex(3)}"
    models = Models(prefix)
    engine = create_async_engine(async_url(args.database_url))
    await create(engine, models, users)
    port = free_port()
    command = [sys.executable, "-m", "bench.soak", "--serve", str(port),
               "--database-url", args.database_url, "--prefix", prefix]
    if args.gc_threshold is not None:
        command += ["--gc-threshold", ",".join(map(str, args.gc_threshold))]
    server = start_pinned_server(command + (["--trace"] if args.trace else []))
    http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60)
    board = Board()
    board.reset(await truth(engine, models, users))
    tabs: list[SSETab] = []
    sockets: list[PhoenixClient] = []
    updates = [0]
    try:
        await wait_up(http, server)
        gate = asyncio.Semaphore(200)

        async def open_tab(user: int) -> SSETab:
            _, token = make_token(SECRET, user)
            path = f"/liveui/sse?token={quote(token)}&c={page_specs(board.expected[user])}"
            tab = SSETab(port, path, user, user, board, board.expected[user])
            async with gate:
                await tab.open()
            return tab

        tabs = await asyncio.gather(*(open_tab(u) for u in range(1, users + 1)))
        for i in range(args.sockets):
            # Spread over all users: the trickle walks the users in order (all of them every
            # users/10 commits), so sockets bunched on the first users would make some minutes
            # busier than others and the per-minute CPU could not be compared.
            client = PhoenixClient(f"ws://127.0.0.1:{port}/socket/websocket?vsn=2.0.0",
                                   i, 1 + (i * users // args.sockets) % users, board)
            client.on_message = lambda message: updates.__setitem__(0, updates[0] + 1)
            client.start()
            sockets.append(client)
        await wait_synced(board, args.tabs + args.sockets, 300, "first connect")
        print(f"connected: tabs={args.tabs} sockets={args.sockets}", flush=True)

        commits = 0
        interval = 1 / args.commits_per_s
        next_commit = time.monotonic()
        rows: list[float] = []
        cpus: list[float] = []
        if args.trace:
            await http.post("/memory")
        gc0 = (await http.get("/stats")).json()
        for minute in range(1, args.minutes + 1):
            cpu0, end = cpu_seconds(server.pid), time.monotonic() + args.minute_s
            user0, system0 = cpu_split(server.pid)
            while time.monotonic() < end:
                first = 1 + (commits * 10) % users
                batch = [1 + (first - 1 + k) % users for k in range(10)]
                (await http.post("/commit", params={"users": ",".join(map(str, batch))}))\
                    .raise_for_status()
                commits += 1
                if commits % 10 == 0:  # keep the tables bounded: the trickle's orders go again
                    async with engine.begin() as conn:
                        await conn.execute(delete(models.Order).where(
                            models.Order.status == "pending", models.Order.user_id % 7 == 0))
                next_commit += interval
                await asyncio.sleep(max(0.0, next_commit - time.monotonic()))
            if board.errors:
                raise SystemExit(f"bench: {board.errors[0]}")
            rss_mb, cpu = rss_kb(server.pid) / 1024, cpu_seconds(server.pid) - cpu0
            user1, system1 = cpu_split(server.pid)
            rows.append(rss_mb)
            cpus.append(cpu)
            reconnects = sum(t.connects - 1 for t in tabs)
            gc1 = (await http.get("/stats")).json()
            gc_s = sum(gc1["gc_seconds"]) - sum(gc0["gc_seconds"])
            full_gcs = gc1["gc_runs"][2] - gc0["gc_runs"][2]
            work = {key: gc1[key] - gc0[key] for key in ("statements", "verified", "recomputes")}
            gc0 = gc1
            print(f"minute={minute} rss_mb={rss_mb:.1f} server_cpu_s={cpu:.2f} "
                  f"(user {user1 - user0:.2f}, system {system1 - system0:.2f}) "
                  f"gc_s={gc_s:.2f} full_gcs={full_gcs} "
                  + " ".join(f"{key}={value}" for key, value in work.items()) + " "
                  f"commits={commits} socket_messages={updates[0]} "
                  f"tab_reconnects={reconnects}", flush=True)
            if args.trace:
                print((await http.post("/memory")).text, flush=True)
        steady = rows[1:] or rows
        mean = sum(steady) / len(steady)
        deviation = max(abs(r - mean) for r in steady) / mean * 100
        steady_cpu = cpus[1:] or cpus
        print(f"rss_mb_mean={mean:.1f} rss_max_deviation_pct={deviation:.1f} "
              f"cpu_s_per_minute_mean={sum(steady_cpu) / len(steady_cpu):.2f} "
              f"minutes={args.minutes}")
    finally:
        for tab in tabs:
            tab.close()
        await asyncio.gather(*(s.close() for s in sockets))
        await http.aclose()
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        async with engine.begin() as conn:
            await conn.run_sync(models.Base.metadata.drop_all)
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--tabs", type=int, default=2000)
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--commits-per-s", type=float, default=2.0)
    parser.add_argument("--trace", action="store_true", help="tracemalloc in the server")
    parser.add_argument("--minute-s", type=float, default=60.0, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default=os.environ.get(
        "LIVEUI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--gc-threshold", type=gc_threshold_arg, metavar="A,B,C",
                        help="the server's gc.set_threshold (default: Python's 700,10,10)")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        from bench.storm_app import serve

        serve(args.serve, args.database_url, args.prefix, trace=args.trace,
              gc_threshold=args.gc_threshold)
        return
    raise_file_limit()
    with contextlib.suppress(KeyboardInterrupt):
        run_clients(run(args))


if __name__ == "__main__":
    main()

