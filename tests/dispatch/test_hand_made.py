"""`broadcast_counter` / `broadcast_counters` version their values with the clock the recounts
read: on PostgreSQL the database server's, so a skewed application clock can neither drop a
hand-made value nor let it hide later recounts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from liveui import Dispatch
from liveui.testing import BroadcastRecorder
from tests.support.dispatch_schema import Schema, add_users, settings_for


async def _database_clock(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        found = await conn.execute(
            text("SELECT floor(extract(epoch FROM statement_timestamp()) * 1000000)::bigint")
        )
        return int(found.scalar_one())


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
async def test_on_postgresql_a_hand_made_version_is_read_from_the_database_clock(
    schema: Schema, engine: AsyncEngine, sessions: async_sessionmaker[Any],
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    dispatch = Dispatch(settings_for(schema), engine=engine, broadcast=dispatch_broadcasts)
    dispatch.install(sessions)
    [alice] = await add_users(sessions, schema, 1)
    async with sessions() as s:
        s.add(schema.Order(user_id=alice))
        await s.commit()
    recount = await dispatch_broadcasts.assert_counter_broadcast(alice, "pending_orders", 1)

    clock_reads: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "statement_timestamp" in statement:
            clock_reads.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        before = await _database_clock(engine)
        clock_reads.clear()
        sending = dispatch.broadcast_counter(alice, "pending_orders", 9)
        assert sending is not None  # it waits for the database clock
        await sending
        assert len(clock_reads) == 1  # the version came from the database, not this process
        hand = await dispatch_broadcasts.assert_counter_broadcast(alice, "pending_orders", 9)
        after = await _database_clock(engine)
        assert recount["version"] < hand["version"]
        assert before <= hand["version"] <= after  # the bound: between two reads of that clock

        sending = dispatch.broadcast_counters(alice, {"pending_orders": 4})
        assert sending is not None
        await sending
        many = await dispatch_broadcasts.assert_counter_broadcast(alice, "pending_orders", 4)
        assert hand["version"] < many["version"]
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)

    async with sessions() as s:  # a recount that starts after wins over the hand-made value
        s.add(schema.Order(user_id=alice))
        await s.commit()
    later = await dispatch_broadcasts.assert_counter_broadcast(alice, "pending_orders", 2)
    assert later["version"] > many["version"]
    await dispatch.stop()


async def test_on_sqlite_a_hand_made_value_is_sent_at_once_with_the_process_clock(
    schema: Schema, engine: AsyncEngine, sessions: async_sessionmaker[Any],
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    """One host: the recounts read the process clock too, so nothing needs waiting for."""
    dispatch = Dispatch(settings_for(schema), engine=engine, broadcast=dispatch_broadcasts)
    dispatch.install(sessions)
    [alice] = await add_users(sessions, schema, 1)
    async with sessions() as s:
        s.add(schema.Order(user_id=alice))
        await s.commit()
    recount = await dispatch_broadcasts.assert_counter_broadcast(alice, "pending_orders", 1)
    assert dispatch.broadcast_counter(alice, "pending_orders", 9) is None
    [hand] = [b for b in dispatch_broadcasts.events(alice, "counter_updated")
              if b.payload["value"] == 9]  # already sent: no wait
    assert hand.payload["version"] > recount["version"]
    await dispatch.stop()
