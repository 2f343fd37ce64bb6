"""UserChannel requests whose database really fails: each is answered `{"reason": "failed"}`
(mark-all with `details`), the cause is logged once, and the channel stays joined."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from liveui import Dispatch
from liveui.testing import ChannelClient
from tests.channels.user_channels import client_for
from tests.support.dispatch_schema import Schema, add_users, both_databases


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
