"""Counter and notification loads of many users arriving together (a reconnect storm) cost one
grouped query per counter, not one per user, and give each user exactly their own values."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from liveui import Dispatch, async_url
from liveui.testing import BroadcastRecorder
from tests.support.dispatch_schema import (
    Schema,
    add_users,
    both_databases,
    record_selects,
    settings_for,
)


@both_databases
async def test_many_users_loading_together_cost_one_query_per_counter(
    schema: Schema, database_url: str, sessions: async_sessionmaker[Any],
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    # Its own engine, so only the dispatch's statements are counted.
    engine = create_async_engine(async_url(database_url))
    dispatch = Dispatch(settings_for(schema), engine=engine, broadcast=dispatch_broadcasts)
    try:
        users = await add_users(sessions, schema, 60, admins=2)
        async with sessions() as s:  # user i has i % 4 pending orders, and one done ticket
            s.add_all([schema.Order(user_id=u) for i, u in enumerate(users) for _ in range(i % 4)])
            s.add_all([schema.Order(user_id=users[0], status="shipped")])
            s.add_all([schema.Ticket(user_id=u, done=i % 2 == 0) for i, u in enumerate(users)])
            await s.commit()
        total_pending = sum(i % 4 for i in range(60))
        statements = record_selects(engine)
        # Each user asked twice (two tabs), one as the string a topic carries.
        loads = [dispatch.counters.load_counter_values(u) for u in users]
        loads += [dispatch.counters.load_counter_values(str(u)) for u in users]
        values = await asyncio.gather(*loads)
        clock = 1 if engine.dialect.name == "postgresql" else 0
        # pending_orders, open_tickets, unread_notifications grouped; admin_pending_orders once;
        # one membership query for the admin audience; the clock on PostgreSQL.
        assert len(statements) == 4 + 1 + clock, statements
        for i in range(len(users)):
            for got in (values[i], values[60 + i]):
                assert got["pending_orders"].value == i % 4
                assert got["open_tickets"].value == i % 2
                assert got["unread_notifications"].value == 0
                if i < 2:  # the admins, and only they, get the admin counter
                    assert got["admin_pending_orders"].value == total_pending
                else:
                    assert "admin_pending_orders" not in got
        assert len({v.version for got in values for v in got.values()}) == 1  # one read
        # Matches what one user's load on its own returns.
        alone = await dispatch.counters.load_counter_values(users[5])
        assert {k: v.value for k, v in alone.items()} == {
            k: v.value for k, v in values[5].items()
        }
    finally:
        await dispatch.stop()
        await engine.dispose()


@both_databases
async def test_first_pages_of_notifications_of_many_users_cost_one_query(
    schema: Schema, database_url: str, sessions: async_sessionmaker[Any],
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    engine = create_async_engine(async_url(database_url))
    dispatch = Dispatch(settings_for(schema), engine=engine, broadcast=dispatch_broadcasts)
    try:
        users = await add_users(sessions, schema, 20)
        for n in range(6):  # user i gets min(i, 6) notifications, titled in order
            targets = [u for i, u in enumerate(users) if i > n]
            await dispatch.notify_many(None, targets, title=f"n{n}")
        await dispatch.wait_idle()
        expected = {u: await dispatch.notifications.load_recent(u, limit=4) for u in users}
        statements = record_selects(engine)
        pages = await asyncio.gather(
            *(dispatch.notifications.load_recent(u, limit=4) for u in users)
        )
        assert len(statements) == 1, statements
        for i, (u, page) in enumerate(zip(users, pages, strict=True)):
            assert page == expected[u]
            assert [item["title"] for item in page] == [f"n{n}" for n in range(min(i, 6))][::-1][:4]
    finally:
        await dispatch.stop()
        await engine.dispose()


async def test_a_malformed_user_id_fails_its_own_load_only(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch,
) -> None:
    [alice] = await add_users(sessions, schema, 1)
    bad = dispatch.counters.load_counter_values("not-a-number")
    good = dispatch.counters.load_counter_values(alice)
    results = await asyncio.gather(bad, good, return_exceptions=True)
    assert isinstance(results[0], ValueError)
    assert isinstance(results[1], dict) and results[1]["pending_orders"].value == 0


@both_databases
async def test_batches_of_any_size_are_one_statement_text_on_postgresql(
    schema: Schema, database_url: str, sessions: async_sessionmaker[Any],
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    """On PostgreSQL a batch's users are one array parameter (`= ANY(...)`): the driver prepares
    each query once, not once per batch size. Elsewhere an `IN` list, same values."""
    engine = create_async_engine(async_url(database_url))
    dispatch = Dispatch(settings_for(schema), engine=engine, broadcast=dispatch_broadcasts)
    try:
        users = await add_users(sessions, schema, 10)
        async with sessions() as s:
            s.add_all([schema.Order(user_id=u) for i, u in enumerate(users) for _ in range(i)])
            await s.commit()
        statements = record_selects(engine)
        texts: list[set[str]] = []
        for batch in (users[:3], users[3:]):
            statements.clear()
            loads = await asyncio.gather(
                *(dispatch.counters.load_counter_values(u) for u in batch),
                *(dispatch.notifications.load_recent(u, limit=4) for u in batch),
            )
            values = loads[: len(batch)]
            assert [v["pending_orders"].value for v in values] == [
                users.index(u) for u in batch
            ]
            texts.append(set(statements))
        if engine.dialect.name == "postgresql":
            assert texts[0] == texts[1]
        else:
            assert texts[0] != texts[1]  # an IN list of 3, then of 7
    finally:
        await dispatch.stop()
        await engine.dispose()
