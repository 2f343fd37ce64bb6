"""Live tables at scale: queries per commit and patches per CPU-second, liveui beside a naive
live table, in the same run.

    python -m bench.live_tables [--sessions 1000] [--commits 60] [--naive-commits 10] [--rows 50]

One process: a real Dispatch on SQLite (file, WAL) and a LiveUI with N sessions, each showing
the same table of the newest orders (`--rows`, 50 by default: run it with 20 and 500 to see
that a commit's cost per session does not grow with the rows shown), a collection with the
audience "user": every session may see every row, the worst case for fan-out. The transports
are left out (the sessions' patches go to their outboxes, as they would before a write): what
is measured is the work after a commit — reading the changed rows and turning them into each
session's patch.

Each commit alternates between updating a row inside the table (a replace in place) and
inserting a new order (an insert on top, and the last row falls off). After each commit the
run waits until every session has applied it.

- liveui: dispatch announces the changed keys; the node's feed re-reads them with one query for
  all sessions; each session merges the shared read and renders only changed rows (once per
  distinct row state, shared).
- naive: the same table written the obvious way: on every change each session reloads its
  own 50 rows from the database and re-renders them all.

CPU is this process's (threads included: SQLite runs in aiosqlite's thread). Prints, last line:
    queries_per_commit=<q> naive_queries_per_commit=<n> patches_per_cpu_s=<x> naive=<y> ratio=<r>
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy import ForeignKey, String, event
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from liveui import Dispatch, DispatchSettings, LiveCollection, Node, collection
from liveui.pubsub.broadcast import Broadcast
from liveui.row_events import ROWS_CHANGED
from liveui.testing import LiveHarness, live_harness

ROW = ('<tr id="{{ row_id }}" data-order-id="{{ row.id }}" data-status="{{ row.status }}">'
       '<td>{{ row.id }}</td><td>{{ row.item }}</td><td>{{ row.amount_cents }}</td>'
       '<td>{{ row.status }}</td></tr>')


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "bench_users"
    id: Mapped[int] = mapped_column(primary_key=True)


class Order(Base):
    __tablename__ = "bench_orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("bench_users.id"), index=True)
    item: Mapped[str] = mapped_column(String(100))
    amount_cents: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    __collections__ = [collection("bench_recent_orders", order_by=lambda: [Order.id.desc()])]


class RecentOrders(LiveCollection):
    name = "bench_recent_orders"
    row_template = "row.html"
    rows_tag = "tbody"
    limit = 50


class NaiveRecentOrders(LiveCollection):
    """Every session reloads its whole page on any change, and re-renders every row."""

    name = "bench_naive_recent_orders"
    collection = "bench_recent_orders"
    row_template = "row.html"
    rows_tag = "tbody"
    limit = 50

    def awaited_read(self, message: Broadcast) -> int:
        return 0  # it reads for itself: no shared read to wait for

    def handle_info(self, message: Broadcast) -> Any:
        if message.event != ROWS_CHANGED:
            return False
        return self._reload()

    async def _reload(self) -> bool:
        assert self._source is not None
        page = await self._source.load_page(self.collection_name(), self._user, limit=self.limit)
        for row in page.rows:
            row.rendered.clear()  # nothing shared: each session renders its own rows
        self._set(page)
        return True


async def settle(harness: LiveHarness, dispatch: Dispatch, sessions: list[Any]) -> None:
    await dispatch.wait_idle(60)
    await harness.live.feed.idle()
    while any(s._busy for s in sessions):  # the naive sessions' own reloads
        await asyncio.sleep(0.001)
    for session in sessions:
        session.flush()  # what the last loop turn queued (else written at the end of the next)


async def measure(kind: str, sessions: int, commits: int, db: Path) -> dict[str, float]:
    rows = RecentOrders.limit
    engine = create_async_engine(f"sqlite+aiosqlite:///{db}")

    @event.listens_for(engine.sync_engine, "connect")
    def _wal(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA journal_mode=WAL")

    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    factory = async_sessionmaker(engine, expire_on_commit=False)
    async with factory() as s:
        s.add_all(User(id=i + 1) for i in range(sessions))
        await s.flush()
        s.add_all(Order(user_id=1 + i % sessions, item=f"item {i}", amount_cents=i)
                  for i in range(rows * 2))
        await s.commit()
    node = Node()
    dispatch = Dispatch(DispatchSettings(models=[Order], user_model=User, coalesce_window=0),
                        node=node, engine=engine)
    dispatch.install(factory)
    component = RecentOrders if kind == "liveui" else NaiveRecentOrders
    async with live_harness(dispatch=dispatch, node=node, settings=None) as harness:
        env = jinja2.Environment(loader=jinja2.DictLoader({"row.html": ROW}))
        harness.live.use_environment(env)
        tabs = [await harness.open(str(1 + i % sessions), component()) for i in range(sessions)]
        if kind == "naive":
            await harness.live.feed.stop()  # nothing shared: only the sessions' own reloads
        live_sessions = [tab.session for tab in tabs]
        queries = dispatch.collections.queries
        appended = sum(s.outbox.seq for s in live_sessions)
        cpu, wall = time.process_time(), time.perf_counter()
        newest = rows * 2
        for n in range(commits):
            async with factory() as s:
                if n % 2 == 0:
                    order = await s.get(Order, newest - n % 10)  # a row inside the window
                    assert order is not None
                    order.status = "completed" if order.status == "pending" else "pending"
                else:
                    s.add(Order(user_id=1, item=f"new {n}", amount_cents=n))
                    newest += 1
                await s.commit()
            await settle(harness, dispatch, live_sessions)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        patches = sum(s.outbox.seq for s in live_sessions) - appended
        shown = len(tabs[0].session.components[component().id].rows)
        assert shown == rows, f"the table shows {shown} rows, not {rows}"
    await engine.dispose()
    return {
        "queries_per_commit": (dispatch.collections.queries - queries) / commits,
        "patches": patches,
        "patches_per_cpu_s": patches / cpu,
        "cpu_ms_per_commit": cpu * 1000 / commits,
        "wall_ms_per_commit": wall * 1000 / commits,
    }


async def run(args: argparse.Namespace) -> None:
    RecentOrders.limit = NaiveRecentOrders.limit = args.rows
    with tempfile.TemporaryDirectory(prefix="liveui-bench-tables-") as tmp:
        results = {}
        for kind, commits in (("liveui", args.commits), ("naive", args.naive_commits)):
            results[kind] = await measure(kind, args.sessions, commits, Path(tmp) / f"{kind}.db")
            r = results[kind]
            print(f"{kind:>6}: {args.sessions} sessions x {RecentOrders.limit} rows, "
                  f"{commits} commits: "
                  f"{r['queries_per_commit']:.1f} queries/commit, {r['patches']:.0f} patches, "
                  f"{r['cpu_ms_per_commit']:.1f} ms CPU/commit, "
                  f"{r['wall_ms_per_commit']:.1f} ms wall/commit, "
                  f"{r['patches_per_cpu_s']:.0f} patches per CPU-second", flush=True)
    live, naive = results["liveui"], results["naive"]
    print(f"queries_per_commit={live['queries_per_commit']:.1f} "
          f"naive_queries_per_commit={naive['queries_per_commit']:.1f} "
          f"patches_per_cpu_s={live['patches_per_cpu_s']:.0f} "
          f"naive={naive['patches_per_cpu_s']:.0f} "
          f"ratio={live['patches_per_cpu_s'] / naive['patches_per_cpu_s']:.1f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.live_tables", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--commits", type=int, default=60)
    parser.add_argument("--naive-commits", type=int, default=10)
    parser.add_argument("--rows", type=int, default=50, help="rows each table shows")
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
