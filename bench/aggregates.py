"""Aggregate cost beside counters: queries per commit and the time of one recount.

    python -m bench.aggregates [--database-url postgresql://postgres@127.0.0.1:5432/test]
                               [--users 200] [--orders 1000] [--commits 10] [--recounts 20]

Three set-ups over the same orders (completed, with an amount in cents), each with one value
per owner and two for the "admin" audience:

- `counters`: `counter(...)` — a count per owner, a count for admins, and a second admin count;
- `aggregates`: `aggregate(...)` — a sum per owner, a sum and an average for admins;
- `naive`: what a hand-written live KPI does without declarations — after each commit, one
  `SELECT SUM(...)` per owner the commit touched, plus the two admin figures.

For each: the statements run per commit (each commit waited for), broadcasts, ms per commit,
and the time of one recount of every owner and the admin values (`recount_ms`, the loader
called directly, `--recounts` times). The last line is the aggregates run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from liveui import Dispatch, DispatchSettings, aggregate, async_url, counter
from liveui.dispatch.changes import ChangeSet


def make_models(kind: str) -> tuple[type[DeclarativeBase], Any, Any]:
    prefix = "bench_" + uuid.uuid4().hex[:8]

    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = f"{prefix}_users"
        id: Mapped[int] = mapped_column(primary_key=True)
        is_admin: Mapped[bool] = mapped_column(Boolean, default=False)

    def done() -> Any:
        return Order.status == "completed"

    class Order(Base):
        __tablename__ = f"{prefix}_orders"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey(f"{prefix}_users.id"), index=True)
        status: Mapped[str] = mapped_column(String(20), default="completed", index=True)
        amount_cents: Mapped[int] = mapped_column(default=0)
        if kind == "counters":
            __counters__ = [
                counter("my_orders", where=done, owner=lambda: Order.user_id),
                counter("all_orders", where=done, audience="admin"),
                counter("all_orders_2", where=done, audience="admin"),
            ]
        elif kind == "aggregates":
            __aggregates__ = [
                aggregate("my_spent", "sum", of=lambda: Order.amount_cents, scale=2,
                          where=done, owner=lambda: Order.user_id),
                aggregate("revenue", "sum", of=lambda: Order.amount_cents, scale=2,
                          where=done, audience="admin"),
                aggregate("avg_order", "avg", of=lambda: Order.amount_cents, scale=2,
                          where=done, audience="admin"),
            ]

    return Base, User, Order


class Statements:
    """Counts the statements an engine runs (a `before_cursor_execute` listener)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: Any) -> None:
        self.count += 1


async def run(url: str, kind: str, users: int, orders: int, commits: int,
              recounts: int) -> dict[str, float]:
    Base, User, Order = make_models(kind)
    app_engine = create_async_engine(async_url(url))
    reader = create_async_engine(async_url(url))  # the dispatch's (or the naive code's) reads
    async with app_engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = async_sessionmaker(app_engine, expire_on_commit=False)
    broadcasts = 0

    def broadcast(topic: str, event_name: str, payload: Any) -> None:
        nonlocal broadcasts
        broadcasts += 1

    dispatch: Dispatch | None = None
    if kind != "naive":
        dispatch = Dispatch(
            DispatchSettings(models=[Order], user_model=User, coalesce_window=0,
                             audiences={"admin": lambda: User.is_admin == True}),  # noqa: E712
            engine=reader, broadcast=broadcast,
        )
        dispatch.install(sessions)
    try:
        async with sessions() as s:
            people = [User(is_admin=i < 5) for i in range(users)]
            s.add_all(people)
            await s.commit()
        ids = [u.id for u in people]
        admins = ids[:5]
        if dispatch is not None:
            await dispatch.wait_idle()
        statements = Statements(reader)
        per_commit = orders // commits
        started = time.perf_counter()
        for c in range(commits):
            batch = [Order(user_id=ids[(c * per_commit + i) % users],
                           amount_cents=1999 + 7 * i) for i in range(per_commit)]
            async with sessions() as s:
                s.add_all(batch)
                await s.commit()
            if dispatch is not None:
                await dispatch.wait_idle(60)
            else:
                broadcasts += await naive_recount(reader, Order, {o.user_id for o in batch},
                                                  admins)
        per_commit_ms = (time.perf_counter() - started) * 1000 / commits
        queries = statements.count / commits
        sent = broadcasts  # the recounts below broadcast too: not counted
        timings = []
        for _ in range(recounts):
            t0 = time.perf_counter()
            if dispatch is None:
                await naive_recount(reader, Order, set(ids), admins)
            else:
                changes = ChangeSet()
                loader = dispatch.counters if kind == "counters" else dispatch.aggregates
                for name, declared in loader._declared().items():
                    if declared.is_global:
                        changes.touch(name, is_global=True)
                    for u in ids if not declared.is_global else ():
                        changes.touch(name, u)
                await loader.recompute(changes)
            timings.append((time.perf_counter() - t0) * 1000)
        return {"queries_per_commit": queries, "broadcasts": sent,
                "ms_per_commit": per_commit_ms, "recount_ms": statistics.median(timings)}
    finally:
        if dispatch is not None:
            await dispatch.stop()
        async with app_engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
        await app_engine.dispose()
        await reader.dispose()


async def naive_recount(engine: AsyncEngine, Order: Any, owners: set[int],
                        admins: list[int]) -> int:
    """The hand-written way: one query per owner, then the admin figures; returns the pushes."""
    done = Order.status == "completed"
    sent = 0
    async with engine.connect() as conn:
        for owner in sorted(owners):
            query = select(func.coalesce(func.sum(Order.amount_cents), 0)).where(
                done, Order.user_id == owner)
            (await conn.execute(query)).scalar_one()
            sent += 1
        total = select(func.coalesce(func.sum(Order.amount_cents), 0), func.count()).where(done)
        (await conn.execute(total)).one()
        sent += 2 * len(admins)
    return sent


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--orders", type=int, default=1_000)
    parser.add_argument("--commits", type=int, default=10)
    parser.add_argument("--recounts", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        print(f"database: {url.split('@')[-1]}; {args.orders} orders, {args.users} users, "
              f"{args.commits} commits (each waited for); recount = every owner + admin values")
        for kind in ("naive", "counters", "aggregates"):
            figures = await run(url, kind, args.users, args.orders, args.commits, args.recounts)
            print(f"{kind:<10} queries_per_commit={figures['queries_per_commit']:.1f} "
                  f"broadcasts={figures['broadcasts']:.0f} "
                  f"ms_per_commit={figures['ms_per_commit']:.2f} "
                  f"recount_ms={figures['recount_ms']:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
