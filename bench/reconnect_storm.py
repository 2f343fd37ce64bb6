"""Reconnect storm: N live SSE tabs and N `/socket` clients come back after a server restart.

    python -m bench.reconnect_storm [--tabs 5000] [--sockets 5000] [--database-url URL]

The server (`bench.storm_app`: LiveUI over SSE, an Endpoint with `UserChannel`, a Dispatch on
PostgreSQL) runs in a subprocess pinned to CPU 0; the clients in this process on CPU 1, one tab
and one socket per user. Tabs are bare asyncio protocols that retry like an EventSource (every
`retry` ms, the URL of the first connect, `Last-Event-ID`); sockets are phoenix.js-like (its
backoff, rejoin, `initial_state`). See `bench.live_clients`.

1. Every client connects and shows the database's values (the tabs' pages were rendered with
   them). 2. A commit through the server gives every other user a pending order: the tabs get a
   patch, the sockets a `counter_updated`. 3. The server is stopped; while it is down the
   database changes: every fourth user loses that order (back to the value its page was
   rendered with), every third gets a cart item, every fifth a notification. 4. The server is
   started again. The run waits until every client shows exactly the database's values (read by
   this process), and asks the server how many SELECTs its engine ran (a SQLAlchemy
   `before_cursor_execute` listener) and how many loads its batchers grouped.

The naive figure is what a per-session resync costs: one query per counter per load plus one
per notification page, for the same loads the server was asked for in this run.

Prints, last two lines:
    resynced_s=<x> p50_s=<y> p99_s=<z> clients=<n>
    selects=<a> naive_selects=<b> ratio=<b/a> batches=<c> counter_selects_per_batch=<d> ...
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
from typing import Any
from urllib.parse import quote

from sqlalchemy import delete, func, select

from bench.live_clients import Board, PhoenixClient, SSETab
from bench.measure import cpu_seconds, percentile, run_clients, start_pinned_server
from bench.storm_app import (
    BADGES,
    COUNTERS,
    SECRET,
    Models,
    gc_threshold_arg,
    raise_file_limit,
)


# the database, read and written by this process -----------------------------------------------
async def create(engine: Any, models: Models, users: int) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(models.Base.metadata.create_all)
        await conn.execute(models.User.__table__.insert(), [{"id": u} for u in range(1, users + 1)])
        rows = [{"user_id": u, "status": status}
                for u in range(1, users + 1)
                for status, n in (("pending", u % 3), ("cart", u % 2), ("ticket", u % 4 // 2))
                for _ in range(n)]
        await conn.execute(models.Order.__table__.insert(), rows)


async def truth(engine: Any, models: Models, users: int) -> dict[int, dict[str, int]]:
    """Every user's counters as the database holds them now."""
    values = {u: dict.fromkeys(BADGES, 0) for u in range(1, users + 1)}
    status_of = {"pending": "pending_orders", "cart": "cart_items", "ticket": "active_tickets"}
    order, note = models.Order, models.Notification
    async with engine.connect() as conn:
        for u, status, n in await conn.execute(
            select(order.user_id, order.status, func.count()).group_by(order.user_id, order.status)
        ):
            values[u][status_of[status]] = n
        for u, n in await conn.execute(
            select(note.user_id, func.count()).where(note.read.is_(False)).group_by(note.user_id)
        ):
            values[u]["unread_notifications"] = n
    return values


async def change_while_down(engine: Any, models: Models, users: int, since: int) -> None:
    order = models.Order
    async with engine.begin() as conn:
        await conn.execute(delete(order).where(
            order.id > since, order.status == "pending", order.user_id % 4 == 0
        ))
        await conn.execute(order.__table__.insert(),
                           [{"user_id": u, "status": "cart"} for u in range(3, users + 1, 3)])
        await conn.execute(models.Notification.__table__.insert(), [
            {"id": secrets.token_hex(16), "user_id": u, "title": "while you were away",
             "type": "info", "message": "", "read": False, "meta": {}}
            for u in range(5, users + 1, 5)
        ])


# the run ----------------------------------------------------------------------------------------
def page_specs(values: dict[str, int]) -> str:
    """The `c=` of a page rendered with these values (badges, the dropdown and its bell)."""
    from liveui import LiveBadge, NotificationDropdown
    from liveui.live.specs import encode_specs

    specs = [{**LiveBadge(name).spec(), "e": str(values[name])} for name in BADGES]
    dropdown = NotificationDropdown(limit=10)
    bell = LiveBadge("unread_notifications", hide_zero=True, id=f"{dropdown.id}-count")
    specs += [{**dropdown.spec(), "e": None},
              {**bell.spec(), "e": str(values["unread_notifications"])}]
    return encode_specs(specs)


def start_server(port: int, args: argparse.Namespace, prefix: str) -> subprocess.Popen[bytes]:
    gc_threshold = [] if args.gc_threshold is None else [
        "--gc-threshold", ",".join(map(str, args.gc_threshold))]
    return start_pinned_server([sys.executable, "-m", "bench.reconnect_storm", "--serve",
                                str(port), "--database-url", args.database_url,
                                "--prefix", prefix, *gc_threshold])


async def wait_up(http: Any, server: subprocess.Popen[bytes]) -> float:
    import httpx

    for _ in range(600):
        if server.poll() is not None:
            raise SystemExit("bench: the server did not start")
        with contextlib.suppress(httpx.TransportError):
            await http.get("/health")
            return time.monotonic()
        await asyncio.sleep(0.02)
    raise SystemExit("bench: the server did not answer")


async def wait_synced(board: Board, clients: int, timeout: float, what: str) -> float:
    deadline = time.monotonic() + timeout
    while len(board.synced_at) < clients:
        if board.errors:
            raise SystemExit(f"bench: {len(board.errors)} error(s), first: {board.errors[0]}")
        if time.monotonic() > deadline:
            missing = [k for k in board.clients if k not in board.synced_at][:3]
            for key in missing:
                client = board.clients[key]
                print(f"bench: {key} user {client.user} shows {client.shown}, the database "
                      f"holds {board.expected[client.user]}", file=sys.stderr)
            raise SystemExit(f"bench: {clients - len(board.synced_at)} client(s) not synced "
                             f"after {timeout} s ({what})")
        board.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(board.changed.wait(), 0.2)
    return max(board.synced_at.values())


async def run(args: argparse.Namespace) -> None:
    import httpx
    from sqlalchemy.ext.asyncio import create_async_engine

    from liveui import async_url
    from liveui.live.session_token import make_token
    from liveui.testing import free_port

    users = max(args.tabs, args.sockets)
    prefix = f"bench_storm_{secrets.token_hex(3)}"
    models = Models(prefix)
    engine = create_async_engine(async_url(args.database_url))
    await create(engine, models, users)
    port = free_port()
    http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60)
    board = Board()
    board.reset(await truth(engine, models, users))
    server = start_server(port, args, prefix)
    tabs: list[SSETab] = []
    sockets: list[PhoenixClient] = []
    try:
        await wait_up(http, server)
        gate = asyncio.Semaphore(200)

        async def open_tab(i: int) -> SSETab:
            user = 1 + i % users
            _, token = make_token(SECRET, user)
            path = f"/liveui/sse?token={quote(token)}&c={page_specs(board.expected[user])}"
            tab = SSETab(port, path, i, user, board, board.expected[user])
            async with gate:
                await tab.open()
            return tab

        t0 = time.monotonic()
        tabs = await asyncio.gather(*(open_tab(i) for i in range(args.tabs)))
        for i in range(args.sockets):
            sockets.append(PhoenixClient(f"ws://127.0.0.1:{port}/socket/websocket?vsn=2.0.0",
                                         i, 1 + i % users, board))
            sockets[-1].start()
            if i % 200 == 199:
                await asyncio.sleep(0.05)
        clients = args.tabs + args.sockets
        await wait_synced(board, clients, 300, "first connect")
        print(f"connected: {clients} clients in {time.monotonic() - t0:.1f} s")

        # A live change every tab patches: afterwards, the URLs' etags are stale for these users.
        async with engine.connect() as conn:
            since = (await conn.execute(select(func.max(models.Order.id)))).scalar_one()
        expected = {u: dict(v) for u, v in board.expected.items()}
        changed = list(range(2, users + 1, 2))
        for u in changed:
            expected[u]["pending_orders"] += 1
        board.reset(expected)
        for i in range(0, len(changed), 1000):
            users_param = ",".join(map(str, changed[i : i + 1000]))
            (await http.post("/commit", params={"users": users_param})).raise_for_status()
        await wait_synced(board, clients, 120, "the live commit")
        print("live commit shown by every client")

        # The restart, with the database changing while the server is down.
        server.terminate()
        server.wait(30)
        await change_while_down(engine, models, users, since)
        board.reset(await truth(engine, models, users))
        stale = sum(1 for u in range(4, users + 1, 4) if u % 2 == 0)
        spawned, client_cpu0 = time.monotonic(), sum(os.times()[:2])
        server = start_server(port, args, prefix)
        done = await wait_synced(board, clients, args.timeout, "the resync after the restart")
        server_cpu, client_cpu = cpu_seconds(server.pid), sum(os.times()[:2]) - client_cpu0
        await asyncio.sleep(0.5)  # loads still in flight land in the counts
        stats = (await http.get("/stats")).json()
        ready = stats["ready_at"]  # the new server's lifespan started: it accepts connections
        latencies = [at - ready for at in board.synced_at.values()]
        loads_counters = stats["counter_loads"] * len(BADGES)
        naive = loads_counters + stats["notification_loads"]
        batches = stats["counter_batches"]
        counter_selects = stats["selects"] - stats["notification_batches"]
        print(f"server gc.set_threshold: {stats['gc_threshold']}, start-up heap frozen: "
              f"{stats['gc_frozen']} objects")
        print(f"server_boot_s={ready - spawned:.2f} users={users} tabs={args.tabs} "
              f"sockets={args.sockets} tabs_whose_url_etags_were_stale={stale} "
              f"server_cpu_s={server_cpu:.1f} client_cpu_s={client_cpu:.1f} (boot to resynced; "
              f"server gc {sum(stats['gc_seconds']):.2f} s, {stats['gc_runs'][2]} full)")
        print(f"server: sessions={stats['sessions']} sockets={stats['sockets']} "
              f"counter_loads={stats['counter_loads']} counter_batches={batches} "
              f"notification_loads={stats['notification_loads']} "
              f"notification_batches={stats['notification_batches']} "
              f"statements={stats['statements']}")
        print(f"resynced_s={done - ready:.2f} p50_s={percentile(latencies, 0.5):.2f} "
              f"p99_s={percentile(latencies, 0.99):.2f} clients={clients}")
        print(f"selects={stats['selects']} naive_selects={naive} "
              f"ratio={naive / max(stats['selects'], 1):.0f} batches={batches} "
              f"counter_selects_per_batch={counter_selects / max(batches, 1):.2f} "
              f"(counters={len(COUNTERS) + 1}, plus the clock read on PostgreSQL)")
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
    parser.add_argument("--tabs", type=int, default=5000)
    parser.add_argument("--sockets", type=int, default=5000)
    parser.add_argument("--timeout", type=float, default=120,
                        help="seconds to wait for the resync before giving up")
    parser.add_argument("--database-url", default=os.environ.get(
        "LIVEUI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--gc-threshold", type=gc_threshold_arg, metavar="A,B,C",
                        help="the server's gc.set_threshold (default: Python's 700,10,10); "
                             "docs/deployment.md recommends 700,10,100 for a node holding "
                             "thousands of connections")
    parser.add_argument("--no-freeze", action="store_true",
                        help="the server without liveui's gc.freeze() of its start-up heap "
                             "(Node(freeze_startup_heap=False)), for comparison")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.no_freeze:
        os.environ["LIVEUI_BENCH_NO_FREEZE"] = "1"  # read by the server process it starts
    if args.serve:
        from bench.storm_app import serve

        serve(args.serve, args.database_url, args.prefix, gc_threshold=args.gc_threshold)
        return
    raise_file_limit()
    run_clients(run(args))


if __name__ == "__main__":
    main()
