"""UserChannel requests whose database really fails: each is answered `{"reason": "failed"}`
(mark-all with `details`), the cause is logged once, and the channel stays joined."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from liveui import Dispatch, Endpoint, Node, async_url
from liveui.testing import ChannelClient
from tests.channels.user_channels import client_for
from tests.support.dispatch_schema import Schema, add_users, both_databases, settings_for


def _failures(caplog: pytest.LogCaptureFixture, event: str) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records
        if r.name == "liveui.channels" and r.getMessage().startswith(f"liveui.channels: {event}")
    ]


async def _still_joined(room: ChannelClient) -> None:
    """The channel answers a further push, and it never sent `phx_error` / `phx_close`."""
    ref = await room.push("no_such_request", {})
    await room.assert_reply(ref, "error", {"reason": "unknown event", "event": "no_such_request"})
    assert not [f for f in room.client.inbox.seen if f.event in ("phx_error", "phx_close")]


@both_databases
async def test_marking_read_when_the_table_is_gone_replies_failed_and_keeps_the_channel(
    schema: Schema, engine: AsyncEngine, sessions: async_sessionmaker[Any], live: Dispatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    [alice] = await add_users(sessions, schema, 1)
    note = await live.notify(None, alice, title="hello")
    room = await (await client_for(live, alice)).join(f"user:{alice}")
    await room.assert_push("initial_state")
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP TABLE {schema.Notification.__tablename__}"))

    with caplog.at_level(logging.ERROR, logger="liveui.channels"):
        ref = await room.push("mark_notification_read", {"id": note.id})
        await room.assert_reply(ref, "error", {"reason": "failed"})
        ref = await room.push("mark_all_notifications_read", {})
        reply = await room.assert_reply(ref, "error")
    assert reply["reason"] == "failed"
    assert reply["details"] in ("OperationalError", "ProgrammingError")  # the class, never SQL
    for event in ("mark_notification_read", "mark_all_notifications_read"):
        [logged] = _failures(caplog, event)  # once, with the cause
        assert logged.exc_info is not None
        assert schema.Notification.__tablename__ in str(logged.exc_info[1])
    await _still_joined(room)


async def test_refreshing_counters_when_the_users_table_is_gone_replies_failed(
    schema: Schema, engine: AsyncEngine, sessions: async_sessionmaker[Any], live: Dispatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The admin counter needs the audience query on the users table, outside any counter."""
    [alice] = await add_users(sessions, schema, 1)
    room = await (await client_for(live, alice)).join(f"user:{alice}")
    await room.assert_push("initial_state")
    async with engine.begin() as conn:
        await conn.execute(text("PRAGMA foreign_keys=OFF"))
        await conn.execute(text(f"DROP TABLE {schema.User.__tablename__}"))

    with caplog.at_level(logging.ERROR, logger="liveui.channels"):
        ref = await room.push("refresh_counters", {})
        await room.assert_reply(ref, "error", {"reason": "failed"})
    [logged] = _failures(caplog, "refresh_counters")
    assert logged.exc_info is not None
    await _still_joined(room)


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
async def test_a_statement_timeout_replies_failed_and_the_next_request_succeeds(
    schema: Schema, engine: AsyncEngine, sessions: async_sessionmaker[Any], postgres_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A real timeout: the notifications table is locked by another transaction while the
    channel's database session gives up after 200 ms; once the lock is gone the same request
    succeeds on the same channel."""
    node = Node()
    Endpoint(node)
    timing_out = create_async_engine(
        async_url(postgres_url), connect_args={"server_settings": {"statement_timeout": "200"}}
    )
    dispatch = Dispatch(settings_for(schema), node=node, engine=timing_out)
    dispatch.install(sessions)
    await node.start()
    try:
        [alice] = await add_users(sessions, schema, 1)
        note = await dispatch.notify(None, alice, title="hello")
        room = await (await client_for(dispatch, alice)).join(f"user:{alice}")
        await room.assert_push("initial_state")
        async with engine.connect() as locker:
            await locker.execute(text(
                f"LOCK TABLE {schema.Notification.__tablename__} IN ACCESS EXCLUSIVE MODE"
            ))
            with caplog.at_level(logging.ERROR, logger="liveui.channels"):
                ref = await room.push("mark_notification_read", {"id": note.id})
                await room.assert_reply(ref, "error", {"reason": "failed"})
            await locker.rollback()  # the lock ends
        [logged] = _failures(caplog, "mark_notification_read")
        assert logged.exc_info is not None
        assert "statement timeout" in str(logged.exc_info[1])
        ref = await room.push("mark_notification_read", {"id": note.id})
        await room.assert_reply(ref, "ok", {})
    finally:
        await node.stop()
        await timing_out.dispose()
