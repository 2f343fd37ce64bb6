"""Dispatch cost: 1,000 order inserts across 200 users in 10 commits.

    python -m bench.dispatch [--database-url postgresql://postgres@127.0.0.1:5432/test]

Counts the statements the dispatch itself runs (its own engine, a `before_cursor_execute`
listener), the broadcasts made, and the wall time from the first commit until every broadcast
is out. Two runs: commits back to back (they coalesce inside the 20 ms window) and commits each
waited for (one recompute per commit). The last line is the back-to-back figure.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, event
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from liveui import Dispatch, DispatchSettings, async_url, counter

USERS, ORDERS, COMMITS = 200, 1_000, 10


def make_models() -> tuple[type[DeclarativeBase], Any, Any]:
    prefix = "bench_" + uuid.uuid4().hex[:8]

    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = f"{prefix}_users"
        id: Mapped[int] = mapped_column(primary_key=True)
        is_admin: Mapped[bool] = mapped_column(Boolean, default=False)

    class Order(Base):
        __tablename__ = f"{prefix}_orders"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey(f"{prefix}_users.id"), index=True)
        status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
        __counters__ = [
            counter("pending_orders", where=lambda: Order.status == "pending",
                    owner=lambda: Order.user_id, invalidates=["orders"]),
            counter("admin_pending_orders", where=lambda: Order.status == "pending",
                    audience="admin"),
        ]

    return Base, User, Order


async def run(url: str, wait_each: bool) -> tuple[float, int, float]:
    Base, User, Order = make_models()
    app_engine = create_async_engine(async_url(url))
    dispatch_engine = create_async_engine(async_url(url))
    async with app_engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = async_sessionmaker(app_engine, expire_on_commit=False)
    broadcasts = 0

    def broadcast(topic: str, event_name: str, payload: Any) -> None:
        nonlocal broadcasts
        broadcasts += 1

    dispatch = Dispatch(
        DispatchSettings(models=[Order], user_model=User,
                         audiences={"admin": lambda: User.is_admin == True}),  # noqa: E712
        engine=dispatch_engine, broadcast=broadcast,
    )
    dispatch.install(sessions)
    try:
        async with sessions() as s:
            users = [User(is_admin=i < 5) for i in range(USERS)]
            s.add_all(users)
            await s.commit()
        ids = [u.id for u in users]
        await dispatch.wait_idle()
        statements = 0

        def count(*args: Any) -> None:
            nonlocal statements
            statements += 1

        event.listen(dispatch_engine.sync_engine, "before_cursor_execute", count)
        per_commit = ORDERS // COMMITS
        started = time.perf_counter()
        for c in range(COMMITS):
            async with sessions() as s:
                s.add_all([Order(user_id=ids[(c * per_commit + i) % USERS])
                           for i in range(per_commit)])
                await s.commit()
            if wait_each:
                await dispatch.wait_idle(30)
        await dispatch.wait_idle(30)
        elapsed = time.perf_counter() - started
        return statements / COMMITS, broadcasts, elapsed * 1000 / COMMITS
    finally:
        await dispatch.stop()
        async with app_engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
        await app_engine.dispose()
        await dispatch_engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        print(f"database: {url.split('@')[-1]}; {ORDERS} orders, {USERS} users, {COMMITS} commits")
        q, b, ms = await run(url, wait_each=True)
        print(f"each commit waited for:  queries_per_commit={q:.1f} broadcasts={b} "
              f"ms_per_commit={ms:.2f}")
        q, b, ms = await run(url, wait_each=False)
        print(f"queries_per_commit={q:.1f} broadcasts={b} ms_per_commit={ms:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
