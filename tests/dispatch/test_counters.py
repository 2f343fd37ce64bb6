"""Counters recomputed after commit through the session hooks: what is sent, to whom, at what
cost, and what is never sent."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import bindparam, create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import sessionmaker

from liveui import ConfigurationError, Dispatch, async_url, counter
from liveui.testing import BroadcastRecorder
from tests.support.dispatch_schema import (
    Schema,
    add_users,
    both_databases,
    make_schema,
    settings_for,
)


@both_databases
async def test_commit_broadcasts_owner_counters_and_fans_out_audience_counters(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch,
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    admin, alice, bob = await add_users(sessions, schema, 3, admins=1)
    async with sessions() as s:
        s.add_all([schema.Order(user_id=alice), schema.Order(user_id=alice),
                   schema.Order(user_id=bob)])
        await s.commit()
    update = await dispatch_broadcasts.assert_counter_broadcast(alice, "pending_orders", 2)
    assert update["metadata"] == {"invalidateQueries": ["orders"]}
    assert isinstance(update["version"], int)
    await dispatch_broadcasts.assert_counter_broadcast(bob, "pending_orders", 1)
    await dispatch_broadcasts.assert_counter_broadcast(admin, "admin_pending_orders", 3)
    await dispatch.wait_idle()
    # The admin counter goes to admins only; owners hear only their own counter.
    assert dispatch_broadcasts.counter_values(alice, "admin_pending_orders") == []
    assert dispatch_broadcasts.counter_values(admin, "pending_orders") == []


@both_databases
async def test_rollback_broadcasts_nothing(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch,
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    [alice] = await add_users(sessions, schema, 1)
    async with sessions() as s:
        s.add(schema.Order(user_id=alice))
        await s.flush()  # the hooks saw the insert...
        await dispatch.notify(s, alice, title="never")
        await s.rollback()  # ...and forget it
    async with sessions() as s:
        s.add(schema.Order(user_id=alice))
        await s.flush()
    # the session closed without commit: also nothing
    await dispatch.wait_idle()
    assert dispatch_broadcasts.events() == []


async def test_a_page_load_between_commit_and_recount_does_not_swallow_the_broadcast(
    schema: Schema, engine: AsyncEngine, sessions: async_sessionmaker[Any],
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    # A POST commits, the browser follows the redirect and the new page loads the new value
    # before the commit's coalesced recount runs: the other open pages still need the update.
    dispatch = Dispatch(settings_for(schema, coalesce_window=1.0), engine=engine,
                        broadcast=dispatch_broadcasts)
    dispatch.install(sessions)
    try:
        alice, bob = await add_users(sessions, schema, 2)
        async with sessions() as s:  # bob's commit is recounted at once and opens a window...
            s.add(schema.Order(user_id=bob))
            await s.commit()
        await dispatch_broadcasts.assert_counter_broadcast(bob, "pending_orders", 1)
        before = await dispatch.counters.load_counter_values(alice)
        async with sessions() as s:  # ...so alice's waits for it to close
            s.add(schema.Order(user_id=alice))
            await s.commit()
        loaded = await dispatch.counters.load_counter_values(alice)  # inside the window
        assert dispatch_broadcasts.counter_values(alice, "pending_orders") == []
        assert loaded["pending_orders"].value == 1
        assert loaded["pending_orders"].version > before["pending_orders"].version
        update = await dispatch_broadcasts.assert_counter_broadcast(
            alice, "pending_orders", 1, timeout=5.0
        )
        assert update["version"] >= loaded["pending_orders"].version
    finally:
        await dispatch.stop()


async def test_moving_a_row_to_another_owner_updates_both(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch,
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    alice, bob = await add_users(sessions, schema, 2)
    async with sessions() as s:
        order = schema.Order(user_id=alice)
        s.add(order)
        await s.commit()
    await dispatch_broadcasts.assert_counter_broadcast(alice, "pending_orders", 1)
    async with sessions() as s:
        moved = await s.get(schema.Order, order.id)
        moved.user_id = bob
        await s.commit()
    await dispatch_broadcasts.assert_counter_broadcast(alice, "pending_orders", 0)
    await dispatch_broadcasts.assert_counter_broadcast(bob, "pending_orders", 1)


async def test_status_change_and_delete_recount_and_unrelated_updates_do_not(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch,
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    [alice] = await add_users(sessions, schema, 1)
    async with sessions() as s:
        first, second = schema.Order(user_id=alice), schema.Order(user_id=alice)
        s.add_all([first, second])
        await s.commit()
    await dispatch_broadcasts.assert_counter_broadcast(alice, "pending_orders", 2)
    statements = _count_statements(dispatch.engine)
    async with sessions() as s:
        (await s.get(schema.Order, first.id)).note = "gift wrap"  # not read by any counter
        await s.commit()
    await dispatch.wait_idle()
    recounts = [st for st in statements if "count(" in st.lower()]
    assert recounts == [], "an update of an unwatched column must not recount"
    async with sessions() as s:
        (await s.get(schema.Order, first.id)).status = "shipped"
        await s.commit()
    await dispatch_broadcasts.assert_counter_broadcast(alice, "pending_orders", 1)
    async with sessions() as s:
        await s.delete(await s.get(schema.Order, second.id))
        await s.commit()
    await dispatch_broadcasts.assert_counter_broadcast(alice, "pending_orders", 0)


def _count_statements(engine: Any) -> list[str]:
    seen: list[str] = []
    sync = engine.sync_engine if isinstance(engine, AsyncEngine) else engine

    @event.listens_for(sync, "before_cursor_execute")
    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    return seen


@both_databases
async def test_a_burst_costs_one_grouped_query_per_counter(
    schema: Schema, database_url: str, engine: AsyncEngine, sessions: async_sessionmaker[Any],
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    # The dispatch gets its own engine so its statements can be counted apart from the app's.
    dispatch_engine = create_async_engine(async_url(database_url))
    # A window long enough for five commits on a loaded machine (the assertion counts windows).
    dispatch = Dispatch(settings_for(schema, coalesce_window=3.0), engine=dispatch_engine,
                        broadcast=dispatch_broadcasts)
    dispatch.install(sessions)
    try:
        users = await add_users(sessions, schema, 40, admins=2)
        assert dispatch.coalescer.recomputes == 0, "users move no counter: the burst starts quiet"
        statements = _count_statements(dispatch_engine)
        for _ in range(5):  # five commits inside one window, 40 owners, 200 rows
            async with sessions() as s:
                s.add_all([schema.Order(user_id=u) for u in users])
                await s.commit()
        await dispatch.wait_idle()
        selects = [st for st in statements if st.lstrip().upper().startswith("SELECT")]
        # The first commit is recounted at once, the other four together once the window
        # closes. Each recount: pending_orders (GROUP BY owner), admin_pending_orders, and the
        # admins of "admin"; on PostgreSQL one more: the database clock that versions it.
        clock = 1 if dispatch_engine.dialect.name == "postgresql" else 0
        assert dispatch.coalescer.recomputes == 2
        assert len(selects) == 2 * (3 + clock), selects
        # The first recount saw 1 to 5 orders per owner (later commits may already be in); only
        # what moved is sent, so the values climb and end at 5.
        for u in users:
            values = dispatch_broadcasts.counter_values(u, "pending_orders")
            assert values[-1] == 5 and values == sorted(values) and len(values) <= 2
        admins = users[:2]
        for a in admins:
            assert dispatch_broadcasts.counter_values(a, "admin_pending_orders")[-1] == 200
    finally:
        await dispatch.stop()
        await dispatch_engine.dispose()


async def test_failed_counter_query_broadcasts_nothing_invented_and_logs(
    sqlite_schema_engine: tuple[Schema, AsyncEngine], caplog: pytest.LogCaptureFixture,
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    schema, engine = sqlite_schema_engine
    failing = {"on": False}

    def status() -> str:
        if failing["on"]:
            raise RuntimeError("database unavailable")
        return "pending"

    class Flaky(schema.Order):  # type: ignore[misc,name-defined]
        __counters__ = [
            counter("flaky_orders", owner=lambda: schema.Order.user_id,
                    where=lambda: schema.Order.status == bindparam("st", callable_=status)),
        ]

    sessions = async_sessionmaker(engine, expire_on_commit=False)
    dispatch = Dispatch(settings_for(schema, models=[Flaky]), engine=engine,
                        broadcast=dispatch_broadcasts)
    dispatch.install(sessions)
    [alice] = await add_users(sessions, schema, 1)
    async with sessions() as s:
        s.add(Flaky(user_id=alice))
        await s.commit()
    await dispatch_broadcasts.assert_counter_broadcast(alice, "flaky_orders", 1)
    failing["on"] = True
    async with sessions() as s:
        s.add(Flaky(user_id=alice))
        await s.commit()
    with caplog.at_level(logging.ERROR, logger="liveui.dispatch"):
        await dispatch.wait_idle()
        loaded = await dispatch.counters.load_counters_for_user(alice)
    assert dispatch_broadcasts.counter_values(alice, "flaky_orders") == [1]  # never a 0
    assert "flaky_orders" not in loaded  # left out: readers keep what they show
    assert any("flaky_orders" in r.getMessage() for r in caplog.records)
    failing["on"] = False
    async with sessions() as s:
        s.add(Flaky(user_id=alice))
        await s.commit()
    await dispatch_broadcasts.assert_counter_broadcast(alice, "flaky_orders", 3)
    await dispatch.stop()


@pytest.fixture
def sqlite_schema_engine(tmp_path: Any) -> Iterator[tuple[Schema, AsyncEngine]]:
    schema = make_schema()
    url = f"sqlite:///{tmp_path / 'flaky.db'}"
    sync = create_engine(url)
    schema.Base.metadata.create_all(sync)
    sync.dispose()
    engine = create_async_engine(async_url(url))
    yield schema, engine


async def test_versions_increase_with_every_broadcast_and_loads_are_not_older(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch,
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    [alice] = await add_users(sessions, schema, 1)
    for _ in range(3):
        async with sessions() as s:
            s.add(schema.Order(user_id=alice))
            await s.commit()
        await dispatch.wait_idle()
    versions = [b.payload["version"] for b in dispatch_broadcasts.events(alice, "counter_updated")]
    assert len(versions) == 3 and versions == sorted(versions) and len(set(versions)) == 3
    loaded = await dispatch.counters.load_counter_values(alice)
    assert loaded["pending_orders"].value == 3
    assert loaded["pending_orders"].version >= versions[-1]


async def test_named_action_triggers_a_counter_that_ignores_plain_updates(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch,
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    [alice] = await add_users(sessions, schema, 1)
    async with sessions() as s:
        first, second = schema.Ticket(user_id=alice), schema.Ticket(user_id=alice)
        s.add_all([first, second])
        await s.commit()
    await dispatch_broadcasts.assert_counter_broadcast(alice, "open_tickets", 2)
    dispatch_broadcasts.clear()
    async with sessions() as s:
        (await s.get(schema.Ticket, first.id)).done = True  # "update" is not a trigger
        await s.commit()
    await dispatch_broadcasts.refute_counter_broadcast(dispatch, alice, "open_tickets")
    async with sessions() as s:
        ticket = await s.get(schema.Ticket, second.id)
        ticket.done = True
        dispatch.action(s, "complete", ticket)
        await s.commit()
    await dispatch_broadcasts.assert_counter_broadcast(alice, "open_tickets", 0)


async def test_sync_sessions_committing_in_a_threadpool(
    schema: Schema, database_url: str, engine: AsyncEngine,
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    sync_engine = create_engine(database_url)
    factory = sessionmaker(sync_engine, expire_on_commit=False)
    dispatch = Dispatch(settings_for(schema), engine=sync_engine, broadcast=dispatch_broadcasts)
    dispatch.install(factory)
    await dispatch.start()

    def work() -> int:
        with factory() as s:
            user = schema.User(name="sync")
            s.add(user)
            s.flush()
            s.add_all([schema.Order(user_id=user.id), schema.Order(user_id=user.id)])
            s.commit()
            return int(user.id)

    try:
        user_id = await asyncio.to_thread(work)
        await dispatch_broadcasts.assert_counter_broadcast(user_id, "pending_orders", 2)
        assert await dispatch.counters.load_counters_for_user(str(user_id)) == {
            "pending_orders": 2, "open_tickets": 0, "unread_notifications": 0,
        }
    finally:
        await dispatch.stop()
        sync_engine.dispose()


async def test_unknown_audience_is_a_clear_configuration_error(schema: Schema) -> None:
    class Odd(schema.Order):  # type: ignore[misc,name-defined]
        __counters__ = [counter("odd", audience="partner")]

    dispatch = Dispatch(settings_for(schema, models=[Odd]))
    with pytest.raises(ConfigurationError, match="partner"):
        dispatch.install(async_sessionmaker())


async def test_missing_broadcast_function_warns_once(
    schema: Schema, engine: AsyncEngine, sessions: async_sessionmaker[Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    dispatch = Dispatch(settings_for(schema), engine=engine)
    dispatch.install(sessions)
    [alice] = await add_users(sessions, schema, 1)
    with caplog.at_level(logging.WARNING, logger="liveui.dispatch"):
        for _ in range(2):
            async with sessions() as s:
                s.add(schema.Order(user_id=alice))
                await s.commit()
            await dispatch.wait_idle()
    warnings = [r for r in caplog.records if "No counter_broadcast_fn configured" in r.getMessage()]
    assert len(warnings) == 1


async def test_loaders_filter_by_audience(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch,
) -> None:
    admin, alice = await add_users(sessions, schema, 2, admins=1)
    async with sessions() as s:
        s.add_all([schema.Order(user_id=alice), schema.Order(user_id=admin)])
        await s.commit()
    assert await dispatch.counters.load_counters_for_user(alice) == {
        "pending_orders": 1, "open_tickets": 0, "unread_notifications": 0,
    }
    assert await dispatch.counters.load_counters_for_user(admin) == {
        "pending_orders": 1, "admin_pending_orders": 2, "open_tickets": 0,
        "unread_notifications": 0,
    }
    assert await dispatch.counters.load_admin_counters() == {"admin_pending_orders": 2}
    values = await dispatch.counters.load_counter_values(str(admin))
    assert values["admin_pending_orders"].value == 2 and values["admin_pending_orders"].version > 0


async def test_touch_recounts_after_a_bulk_statement(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch,
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    from sqlalchemy import update

    [alice] = await add_users(sessions, schema, 1)
    async with sessions() as s:
        s.add_all([schema.Order(user_id=alice) for _ in range(3)])
        await s.commit()
    await dispatch_broadcasts.assert_counter_broadcast(alice, "pending_orders", 3)
    async with sessions() as s:
        await s.execute(update(schema.Order).values(status="shipped"))  # bypasses the flush
        dispatch.touch("pending_orders", [alice], session=s)
        await s.commit()
    await dispatch_broadcasts.assert_counter_broadcast(alice, "pending_orders", 0)


@both_databases
async def test_an_owner_counter_with_an_audience_reaches_only_owners_in_it(
    schema: Schema, engine: AsyncEngine, sessions: async_sessionmaker[Any],
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    """The loader hides such a counter from owners outside its audience; the recount after a
    commit must not broadcast it to them either."""

    class StaffOrder(schema.Order):  # type: ignore[misc,name-defined]
        __counters__ = [
            counter("staff_own_orders", owner=lambda: schema.Order.user_id, audience="admin")
        ]

    dispatch = Dispatch(
        settings_for(schema, models=[StaffOrder]), engine=engine, broadcast=dispatch_broadcasts
    )
    dispatch.install(sessions)
    try:
        admin, alice = await add_users(sessions, schema, 2, admins=1)
        async with sessions() as s:
            s.add_all([StaffOrder(user_id=admin), StaffOrder(user_id=alice)])
            await s.commit()
        await dispatch_broadcasts.assert_counter_broadcast(admin, "staff_own_orders", 1)
        await dispatch.wait_idle()
        assert dispatch_broadcasts.counter_values(alice, "staff_own_orders") == []
        assert "staff_own_orders" not in await dispatch.counters.load_counters_for_user(alice)
    finally:
        await dispatch.stop()
