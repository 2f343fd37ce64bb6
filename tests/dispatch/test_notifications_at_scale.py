"""Notifications for real apps: one INSERT for many recipients (a list or an audience), pages
of older ones by cursor, delete by the owner, and pruning old ones in batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from liveui import Dispatch, Forbidden, NotFound
from liveui.testing import BroadcastRecorder
from liveui.user_events import notification_cursor
from tests.support.dispatch_schema import Schema, add_users, both_databases


@both_databases
async def test_notify_many_is_one_insert_for_a_list_and_an_audience(
    schema: Schema, engine: AsyncEngine, sessions: async_sessionmaker[Any], dispatch: Dispatch,
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    admin, alice, bob, carol = await add_users(sessions, schema, 4, admins=1)
    inserts: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT") and "notifications" in statement:
            inserts.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        async with sessions() as s:
            sent = await dispatch.notify_many(
                s, [alice, bob], audience="admin", title="Shop closes at 6"
            )
            await s.commit()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert sorted(n.user_id for n in sent) == sorted([alice, bob, admin])
    assert len(inserts) == 1  # one statement for all three rows
    for user in (alice, bob, admin):
        await dispatch_broadcasts.assert_event(user, "new_notification")
        await dispatch_broadcasts.assert_counter_broadcast(user, "unread_notifications", 1)
    assert await dispatch.notifications.load_recent(carol) == []


async def test_a_user_listed_twice_or_also_in_the_audience_gets_one_notification(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch
) -> None:
    admin, alice = await add_users(sessions, schema, 2, admins=1)
    sent = await dispatch.notify_many(None, [alice, admin, alice], audience="admin", title="Hi")
    assert [n.user_id for n in sent] == [alice, admin]  # the list's order, each once
    assert len(await dispatch.notifications.load_recent(admin)) == 1


async def test_older_pages_follow_a_cursor(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch
) -> None:
    [alice] = await add_users(sessions, schema, 1)
    for i in range(5):
        await dispatch.notify(None, alice, title=f"n{i}")
    first = await dispatch.notifications.load_recent(alice, limit=2)
    assert [n["title"] for n in first] == ["n4", "n3"]
    second = await dispatch.notifications.load_recent(
        alice, limit=2, before=notification_cursor(first[-1])
    )
    assert [n["title"] for n in second] == ["n2", "n1"]
    last = await dispatch.notifications.load_recent(
        alice, limit=2, before=notification_cursor(second[-1])
    )
    assert [n["title"] for n in last] == ["n0"]
    for bad in ("", "x|y", "2026-01-01T00:00:00Z|not-a-uuid", "2026-01-01|" + "0" * 36, "|" * 3):
        with pytest.raises(ValueError):
            await dispatch.notifications.load_recent(alice, before=bad)


async def test_the_owner_deletes_and_every_tab_hears_it(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch,
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    alice, mallory = await add_users(sessions, schema, 2)
    notification = await dispatch.notify(None, alice, title="private")
    with pytest.raises(Forbidden):
        await dispatch.notifications.delete(notification.id, actor=mallory)
    await dispatch.notifications.delete(notification.id, actor=alice)
    await dispatch_broadcasts.assert_event(alice, "notification_deleted", {"id": notification.id})
    await dispatch_broadcasts.assert_counter_broadcast(alice, "unread_notifications", 0)
    assert await dispatch.notifications.load_recent(alice) == []
    with pytest.raises(NotFound):
        await dispatch.notifications.delete(notification.id, actor=alice)


@both_databases
async def test_prune_deletes_old_ones_in_batches(
    schema: Schema, engine: AsyncEngine, sessions: async_sessionmaker[Any], dispatch: Dispatch,
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    alice, bob = await add_users(sessions, schema, 2)
    for i in range(5):
        await dispatch.notify(None, alice if i % 2 else bob, title=f"old{i}")
    recent = await dispatch.notify(None, alice, title="recent")
    table = schema.Notification.__table__
    long_ago = datetime.now(UTC) - timedelta(days=100)
    async with engine.begin() as conn:
        old = update(table).where(table.c.id != recent.id)
        await conn.execute(old.values(inserted_at=long_ago))
        await conn.execute(update(table).where(table.c.title == "old1").values(read=True))
    await dispatch.wait_idle()
    dispatch_broadcasts.clear()

    assert await dispatch.notifications.prune(timedelta(days=30), read_only=True) == 1
    assert await dispatch.notifications.prune(timedelta(days=30), batch_size=2) == 4
    async with engine.connect() as conn:
        left = (await conn.execute(select(table.c.title))).scalars().all()
    assert left == ["recent"]
    await dispatch_broadcasts.assert_counter_broadcast(bob, "unread_notifications", 0)
