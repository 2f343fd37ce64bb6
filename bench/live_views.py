"""Filtered live tables at scale: 1,000 sessions spread over 20 distinct views (status filter x
sort) of one collection, liveui beside a per-session re-query baseline, in the same run.

    python -m bench.live_views [--sessions 1000] [--commits 40] [--naive-commits 6]

One process: a real Dispatch on SQLite (file, WAL) and a LiveUI with N sessions, session i
showing view i mod 20: a status filter (all, pending, completed, cancelled) times a sort
(amount or inserted, ascending or descending, or the default). The collection has the audience
"user" (every session may see every row: the worst case for fan-out). Transports are left out
(patches go to the sessions' outboxes): what is measured is the work after a commit.

Each commit alternates between changing a row's status (it leaves some views and enters
others, at its place in each view's order) and inserting an order. After each commit the run
waits until every session has applied it, and at the end checks every session against the SQL
of its view.

- liveui: the node's feed re-reads the changed keys once per distinct view (20 queries per
  commit, whatever the number of sessions); each session merges its view's shared read and
  renders only changed rows (once per distinct row state, shared).
- naive: each session re-runs its own view's query on every change and re-renders every row.

CPU is this process's (threads included). Prints, last line:
    views=<v> queries_per_commit=<q> naive_queries_per_commit=<n> cpu_ms_per_commit=<c>
    naive_cpu_ms_per_commit=<d> ratio=<naive CPU / liveui CPU>
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

from liveui import (
    Dispatch,
    DispatchSettings,
    LiveCollection,
    Node,
    choice,
    collection,
    search,
    sort,
)
from liveui.pubsub.broadcast import Broadcast
from liveui.row_events import ROWS_CHANGED
from liveui.testing import LiveHarness, live_harness

ROW = ('<tr id="{{ row_id }}" data-order-id="{{ row.id }}" data-status="{{ row.status }}">'
       '<td>{{ row.id }}</td><td>{{ row.item }}</td><td>{{ row.amount_cents }}</td>'
       '<td>{{ row.status }}</td></tr>')
STATUSES = ("pending", "completed", "cancelled")
VIEWS = [
    *({"status": status, "sort": order} for status in ("all", *STATUSES)
      for order in ("-inserted", "inserted", "amount", "-amount")),
    *({"status": status, "q": "item 1"} for status in ("all", *STATUSES)),
]
"""20 distinct views: every status filter by every sort, and with a search."""


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "bench_view_users"
    id: Mapped[int] = mapped_column(primary_key=True)


class Order(Base):
    __tablename__ = "bench_view_orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("bench_view_users.id"), index=True)
    item: Mapped[str] = mapped_column(String(100))
    amount_cents: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    __collections__ = [collection(
        "bench_view_orders", order_by=lambda: [Order.id.desc()],
        filters={"status": lambda: Order.status}, search=lambda: [Order.item],
        sorts={"amount": lambda: Order.amount_cents, "inserted": lambda: Order.id})]


class ViewedOrders(LiveCollection):
    name = "bench_view_orders"
    row_template = "row.html"
    rows_tag = "tbody"
    limit = 20
    view_params = (
        choice("status", "all", *STATUSES, filter="status"),
        search("q"),
        sort("sort", "amount", "inserted", default="-inserted"),
    )


class NaiveViewedOrders(ViewedOrders):
    """Every session re-runs its own view's query on any change and re-renders every row."""

    name = "bench_naive_view_orders"
    collection = "bench_view_orders"

    def handle_info(self, message: Broadcast) -> Any:
        if message.event != ROWS_CHANGED:
            return False
        return self._reload()

    async def _reload(self) -> bool:
        assert self._source is not None
        page = await self._source.load_page(self.collection_name(), self._user, limit=self.limit,
                                            view=self.view_key)
        for row in page.rows:
            row.rendered.clear()  # nothing shared: each session renders its own rows
        self._set(page)
        return True


async def settle(harness: LiveHarness, dispatch: Dispatch, sessions: list[Any]) -> None:
    await dispatch.wait_idle(60)
    await harness.live.feed.idle()
    while any(s._busy for s in sessions):  # refills, and the naive sessions' own reloads
        await asyncio.sleep(0.001)


async def measure(kind: str, sessions: int, commits: int, db: Path) -> dict[str, float]:
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
        s.add_all(Order(user_id=1 + i % sessions, item=f"item {i}", amount_cents=(i * 37) % 500,
                        status=STATUSES[i % 3]) for i in range(300))
        await s.commit()
    node = Node()
    dispatch = Dispatch(DispatchSettings(models=[Order], user_model=User, coalesce_window=0),
                        node=node, engine=engine)
    dispatch.install(factory)
    component = ViewedOrders if kind == "liveui" else NaiveViewedOrders
    async with live_harness(dispatch=dispatch, node=node, settings=None) as harness:
        env = jinja2.Environment(loader=jinja2.DictLoader({"row.html": ROW}))
        harness.live.use_environment(env)
        tabs = [await harness.open(str(1 + i), component(view=VIEWS[i % len(VIEWS)]))
                for i in range(sessions)]
        if kind == "naive":
            await harness.live.feed.stop()  # nothing shared: only the sessions' own reloads
        live_sessions = [tab.session for tab in tabs]
        queries = dispatch.collections.queries
        appended = sum(s.outbox.seq for s in live_sessions)
        cpu, wall = time.process_time(), time.perf_counter()
        newest = 300
        for n in range(commits):
            async with factory() as s:
                if n % 2 == 0:
                    order = await s.get(Order, newest - (n * 7) % 40)
                    assert order is not None
                    order.status = STATUSES[(STATUSES.index(order.status) + 1) % 3]
                else:
                    newest += 1
                    s.add(Order(user_id=1, item=f"new {n}", amount_cents=(n * 53) % 500,
                                status=STATUSES[n % 3]))
                await s.commit()
            await settle(harness, dispatch, live_sessions)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        patches = sum(s.outbox.seq for s in live_sessions) - appended
        used = dispatch.collections.queries - queries
        for tab in tabs:  # every session equals the SQL of its view
            shown = tab.session.components[component().id]
            assert isinstance(shown, ViewedOrders)
            truth = await dispatch.collections.load_page(
                "bench_view_orders", tab.session.user_id, limit=shown.window,
                view=shown.view_key)
            assert [r.key for r in shown.rows] == [r.key for r in truth.rows], shown.view
    await engine.dispose()
    return {
        "views": len({tuple(sorted(v.items())) for v in VIEWS}),
        "queries_per_commit": used / commits,
        "patches": patches,
        "cpu_ms_per_commit": cpu * 1000 / commits,
        "wall_ms_per_commit": wall * 1000 / commits,
    }


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="liveui-bench-views-") as tmp:
        results = {}
        for kind, commits in (("liveui", args.commits), ("naive", args.naive_commits)):
            results[kind] = await measure(kind, args.sessions, commits, Path(tmp) / f"{kind}.db")
            r = results[kind]
            print(f"{kind:>6}: {args.sessions} sessions over {r['views']:.0f} views, "
                  f"{commits} commits: {r['queries_per_commit']:.1f} queries/commit, "
                  f"{r['patches']:.0f} patches, {r['cpu_ms_per_commit']:.1f} ms CPU/commit, "
                  f"{r['wall_ms_per_commit']:.1f} ms wall/commit", flush=True)
    live, naive = results["liveui"], results["naive"]
    print(f"views={live['views']:.0f} queries_per_commit={live['queries_per_commit']:.1f} "
          f"naive_queries_per_commit={naive['queries_per_commit']:.1f} "
          f"cpu_ms_per_commit={live['cpu_ms_per_commit']:.1f} "
          f"naive_cpu_ms_per_commit={naive['cpu_ms_per_commit']:.1f} "
          f"ratio={naive['cpu_ms_per_commit'] / live['cpu_ms_per_commit']:.1f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.live_views", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--commits", type=int, default=40)
    parser.add_argument("--naive-commits", type=int, default=6)
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
