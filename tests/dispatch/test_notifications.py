"""Notifications: stored in the app's transaction, serialized in camelCase, marked read only by
their owner, broadcast after commit."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from liveui import Dispatch, Forbidden, NotFound
from liveui.testing import ANY, BroadcastRecorder
from tests.support.dispatch_schema import Schema, add_users, both_databases, settings_for

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'


@both_databases
async def test_notify_in_a_session_broadcasts_after_commit(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch,
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    [alice] = await add_users(sessions, schema, 1)
    async with sessions() as s:
        created = await dispatch.notify(
            s, alice, title="Order shipped", message="On its way", type="success",
            metadata={"order_id": 7}, action_label="View", action_url="/orders/7",
        )
        assert dispatch_broadcasts.events() == []  # not before the commit
        await s.commit()
    sent = await dispatch_broadcasts.assert_notification_broadcast(alice, "Order shipped")
    assert sent["id"] == created.id
    assert sent["type"] == "success" and sent["read"] is False
    assert sent["metadata"] == {"order_id": 7}
    assert (sent["actionLabel"], sent["actionUrl"]) == ("View", "/orders/7")
    await dispatch_broadcasts.assert_counter_broadcast(alice, "unread_notifications", 1)
    [loaded] = await dispatch.notifications.load_recent(alice)
    assert loaded == sent


async def test_default_serializer_shape_and_xss_text_kept_verbatim(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch,
) -> None:
    [alice] = await add_users(sessions, schema, 1)
    await dispatch.notify(None, alice, title=XSS, message=XSS, metadata={"html": XSS},
                          action_label=XSS, action_url="javascript:alert(1)")
    [item] = await dispatch.notifications.load_recent(alice)
    assert list(item) == ["id", "type", "title", "message", "read", "metadata",
                          "actionLabel", "actionUrl", "insertedAt"]
    assert item["title"] == XSS and item["message"] == XSS and item["actionLabel"] == XSS
    assert item["metadata"] == {"html": XSS}
    assert item["actionUrl"] == "javascript:alert(1)"  # stored as given: renderers decide
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", item["insertedAt"])
    uuid.UUID(item["id"])


async def test_load_recent_newest_first_with_limit_and_serializers(
    schema: Schema, engine: AsyncEngine, sessions: async_sessionmaker[Any],
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    configured = Dispatch(
        settings_for(schema, notification_serializer=lambda n: {"t": n.title}),
        engine=engine, broadcast=dispatch_broadcasts,
    )
    alice, bob = await add_users(sessions, schema, 2)
    for i in range(5):
        await configured.notify(engine, alice, title=f"n{i}")
    await configured.notify(engine, bob, title="bob's")
    recent = await configured.notifications.load_recent(alice, limit=3)
    assert recent == [{"t": "n4"}, {"t": "n3"}, {"t": "n2"}]
    per_call = await configured.notifications.load_recent(alice, limit=2, serializer=lambda n: n.id)
    assert len(per_call) == 2 and all(isinstance(x, str) for x in per_call)
    await configured.wait_idle()
    assert dispatch_broadcasts.events(alice, "new_notification")[-1].payload == {"t": "n4"}
    with pytest.raises(ValueError):
        await configured.notifications.load_recent(alice, limit=-1)


async def test_bad_notification_input_is_refused_before_anything_is_stored(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch,
) -> None:
    [alice] = await add_users(sessions, schema, 1)
    with pytest.raises(ValueError, match="type"):
        await dispatch.notify(None, alice, title="x", type="shouting")
    with pytest.raises(ValueError, match="title"):
        await dispatch.notify(None, alice, title="")
    with pytest.raises(ValueError, match="JSON"):
        await dispatch.notify(None, alice, title="x", metadata={"when": object()})
    assert await dispatch.notifications.load_recent(alice) == []


@both_databases
async def test_mark_as_read_by_owner_then_idempotent(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch,
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    [alice] = await add_users(sessions, schema, 1)
    created = await dispatch.notify(None, alice, title="hello")
    await dispatch_broadcasts.assert_counter_broadcast(alice, "unread_notifications", 1)
    marked = await dispatch.notifications.mark_as_read(created.id, actor=alice)
    assert marked.id == created.id and marked.read is True
    await dispatch_broadcasts.assert_event(alice, "notification_read", {"id": created.id})
    await dispatch_broadcasts.assert_counter_broadcast(alice, "unread_notifications", 0)
    dispatch_broadcasts.clear()
    again = await dispatch.notifications.mark_as_read(created.id.upper(), actor=str(alice))
    assert again.read is True
    await dispatch_broadcasts.refute_counter_broadcast(dispatch, alice)
    assert dispatch_broadcasts.events(alice, "notification_read") == []


async def test_mark_as_read_of_another_users_notification_is_forbidden(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch,
) -> None:
    alice, mallory = await add_users(sessions, schema, 2)
    created = await dispatch.notify(None, alice, title="private")
    with pytest.raises(Forbidden):
        await dispatch.notifications.mark_as_read(created.id, actor=mallory)
    [still] = await dispatch.notifications.load_recent(alice)
    assert still["read"] is False


# A fixed unknown id: test ids must be the same in every collection (pytest-xdist's workers).
@pytest.mark.parametrize("bad_id", ["not-a-uuid", "", 42, None,
                                    "3f2b8c1e-9a47-4d0e-8b6a-2c5d7e9f1a30"])
async def test_malformed_or_unknown_id_is_not_found(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch, bad_id: Any,
) -> None:
    [alice] = await add_users(sessions, schema, 1)
    with pytest.raises(NotFound):
        await dispatch.notifications.mark_as_read(bad_id, actor=alice)


async def test_mark_all_as_read(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch,
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    alice, bob = await add_users(sessions, schema, 2)
    for i in range(3):
        await dispatch.notify(None, alice, title=f"a{i}")
    await dispatch.notify(None, bob, title="b")
    await dispatch_broadcasts.assert_counter_broadcast(alice, "unread_notifications", 3)
    with pytest.raises(Forbidden):
        await dispatch.notifications.mark_all_as_read(alice, actor=bob)
    assert await dispatch.notifications.mark_all_as_read(alice, actor=alice) == {"marked_count": 3}
    await dispatch_broadcasts.assert_event(
        alice, "all_notifications_read", {"markedCount": 3, "ids": ANY, "readBefore": ANY}
    )
    await dispatch_broadcasts.assert_counter_broadcast(alice, "unread_notifications", 0)
    assert all(n["read"] for n in await dispatch.notifications.load_recent(alice))
    assert [n["read"] for n in await dispatch.notifications.load_recent(bob)] == [False]
    assert await dispatch.notifications.mark_all_as_read(alice, actor=alice) == {"marked_count": 0}


async def test_channel_state_loads_counters_versions_and_notifications(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch,
) -> None:
    [alice] = await add_users(sessions, schema, 1)
    async with sessions() as s:
        s.add(schema.Order(user_id=alice))
        await s.commit()
    for i in range(3):
        await dispatch.notify(None, alice, title=f"n{i}")
    for parallel in (True, False):
        state = await dispatch.channel_state(alice, notification_limit=2, parallel=parallel)
        assert state["counters"] == {
            "pending_orders": 1, "open_tickets": 0, "unread_notifications": 3,
        }
        assert set(state["versions"]) == set(state["counters"])
        assert [n["title"] for n in state["notifications"]] == ["n2", "n1"]
    only_orders = await dispatch.channel_state(alice, counter_models=[schema.Order],
                                               notification_serializer=lambda n: n.title)
    assert only_orders["counters"] == {"pending_orders": 1}
    assert only_orders["notifications"] == ["n2", "n1", "n0"]


async def test_channel_state_runs_its_two_loads_at_the_same_time(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch,
) -> None:
    """Each load waits at a barrier that opens only when both have arrived: loads run one after
    the other would never open it. `parallel=False` (AshDispatch's debugging switch) does not."""
    [alice] = await add_users(sessions, schema, 1)
    await dispatch.notify(None, alice, title="hi")
    counters, notifications = dispatch.counters, dispatch.notifications
    load_counters, load_recent = counters.load_counter_values, notifications.load_recent
    barrier = asyncio.Barrier(2)

    async def meet() -> None:
        await asyncio.wait_for(barrier.wait(), timeout=2.0)

    async def counters_at_barrier(*args: Any, **kwargs: Any) -> Any:
        await meet()
        return await load_counters(*args, **kwargs)

    async def notifications_at_barrier(*args: Any, **kwargs: Any) -> Any:
        await meet()
        return await load_recent(*args, **kwargs)

    counters.load_counter_values = counters_at_barrier  # type: ignore[method-assign]
    notifications.load_recent = notifications_at_barrier  # type: ignore[method-assign]
    try:
        state = await dispatch.channel_state(alice)
        assert state["counters"]["unread_notifications"] == 1
        assert [n["title"] for n in state["notifications"]] == ["hi"]
        barrier = asyncio.Barrier(2)
        with pytest.raises(TimeoutError):
            await dispatch.channel_state(alice, parallel=False)
    finally:
        del counters.load_counter_values, notifications.load_recent
