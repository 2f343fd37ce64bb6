"""UserChannel over the real protocol engine: join rules, initial_state, client requests, and
commits reaching every connection of the user."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from liveui import (
    ChannelSocket,
    Dispatch,
    Endpoint,
    Node,
    Reply,
    UserChannel,
    ok,
)
from liveui.testing import ANY, connect
from tests.channels.user_channels import UserSocket, client_for, endpoint_of
from tests.support.dispatch_schema import Schema, add_users, settings_for


async def test_join_pushes_initial_state_after_the_reply(
    schema: Schema, sessions: async_sessionmaker[Any], live: Dispatch
) -> None:
    [alice] = await add_users(sessions, schema, 1)
    await live.notify(None, alice, title="welcome")
    client = await client_for(live, alice)
    room, reply = await client.join_reply(f"user:{alice}")
    assert reply == {"status": "ok", "response": {}}
    state = await room.assert_push("initial_state")
    assert state["counters"] == {"pending_orders": 0, "open_tickets": 0, "unread_notifications": 1}
    assert set(state["versions"]) == set(state["counters"])
    assert [n["title"] for n in state["notifications"]] == ["welcome"]
    frames = [f.event for f in client.inbox.seen]
    assert frames.index("phx_reply") < frames.index("initial_state")


async def test_join_of_another_users_topic_is_unauthorized(
    schema: Schema, sessions: async_sessionmaker[Any], live: Dispatch
) -> None:
    alice, bob = await add_users(sessions, schema, 2)
    client = await client_for(live, alice)
    _, reply = await client.join_reply(f"user:{bob}")
    assert reply == {"status": "error", "response": {"reason": "unauthorized"}}
    _, reply = await client.join_reply("user:")
    assert reply["status"] == "error"


async def test_commit_reaches_every_connection_of_the_user(
    schema: Schema, sessions: async_sessionmaker[Any], live: Dispatch
) -> None:
    [alice] = await add_users(sessions, schema, 1)
    tabs = [await (await client_for(live, str(alice))).join(f"user:{alice}") for _ in range(2)]
    for tab in tabs:
        await tab.assert_push("initial_state")
    async with sessions() as s:
        s.add(schema.Order(user_id=alice))
        await live.notify(s, alice, title="new order")
        await s.commit()
    for tab in tabs:
        await tab.assert_push("new_notification", {**_any_notification(), "title": "new order"})
        await tab.assert_push("counter_updated", {
            "counter": "pending_orders", "value": 1,
            "metadata": {"invalidateQueries": ["orders"]}, "version": ANY,
        })


def _any_notification() -> dict[str, Any]:
    keys = ["id", "type", "title", "message", "read", "metadata", "actionLabel", "actionUrl",
            "insertedAt"]
    return dict.fromkeys(keys, ANY)


async def test_client_requests(
    schema: Schema, sessions: async_sessionmaker[Any], live: Dispatch
) -> None:
    alice, bob = await add_users(sessions, schema, 2)
    mine = await live.notify(None, alice, title="mine")
    theirs = await live.notify(None, bob, title="theirs")
    await live.notify(None, alice, title="another")
    room = await (await client_for(live, alice)).join(f"user:{alice}")
    other_tab = await (await client_for(live, alice)).join(f"user:{alice}")
    await room.assert_push("initial_state")
    await other_tab.assert_push("initial_state")

    ref = await room.push("refresh_counters", {})
    got = await room.assert_reply(ref, "ok")
    assert got["counters"]["unread_notifications"] == 2
    assert set(got["versions"]) == set(got["counters"])

    ref = await room.push("mark_notification_read", {"id": mine.id})
    await room.assert_reply(ref, "ok", {})
    await other_tab.assert_push("notification_read", {"id": mine.id})
    await other_tab.assert_push("counter_updated", {
        "counter": "unread_notifications", "value": 1, "metadata": ANY, "version": ANY,
    })

    ref = await room.push("mark_notification_read", {"id": theirs.id})
    await room.assert_reply(ref, "error", {"reason": "unauthorized"})
    ref = await room.push("mark_notification_read", {"id": "nope"})
    await room.assert_reply(ref, "error", {"reason": "not_found"})
    for bad in ({"id": 5}, {}, ["x"], "x"):
        ref = await room.push("mark_notification_read", bad)
        await room.assert_reply(ref, "error", {"reason": "invalid"})
    ref = await room.push("refresh_counters", "x")
    await room.assert_reply(ref, "error", {"reason": "invalid"})

    ref = await room.push("mark_all_notifications_read", {})
    await room.assert_reply(ref, "ok", {"markedCount": 1})
    await other_tab.assert_push(
        "all_notifications_read", {"markedCount": 1, "ids": ANY, "readBefore": ANY}
    )
    await other_tab.assert_push("counter_updated", {
        "counter": "unread_notifications", "value": 0, "metadata": ANY, "version": ANY,
    })
    # The channel survived every bad request.
    ref = await room.push("refresh_counters")
    await room.assert_reply(ref, "ok")


def custom_channel(joined: list[str]) -> type[UserChannel]:
    """A UserChannel subclass whose overrides call the parent's and add their own events; it
    records its joins in this test's `joined`."""

    class CustomChannel(UserChannel):
        async def join(self, topic: str, payload: Any, socket: ChannelSocket) -> Reply | None:
            result = await super().join(topic, payload, socket)
            if result is not None and result.status == "ok":
                joined.append(topic)
            return result

        async def handle_in(self, event: str, payload: Any, socket: ChannelSocket) -> Any:
            if event == "ping":
                return ok({"pong": True})
            return await super().handle_in(event, payload, socket)

    return CustomChannel


async def test_subclass_overrides_keep_the_defaults_via_super(
    schema: Schema, sessions: async_sessionmaker[Any], live: Dispatch
) -> None:
    [alice] = await add_users(sessions, schema, 1)
    joined: list[str] = []
    client = await client_for(live, alice, UserSocket(live, custom_channel(joined)))
    room = await client.join(f"user:{alice}")
    await room.assert_push("initial_state")
    assert joined == [f"user:{alice}"]
    ref = await room.push("ping")
    await room.assert_reply(ref, "ok", {"pong": True})
    ref = await room.push("refresh_counters")
    await room.assert_reply(ref, "ok")


async def test_hand_made_broadcasts_version_their_values(
    schema: Schema, sessions: async_sessionmaker[Any], live: Dispatch
) -> None:
    [alice] = await add_users(sessions, schema, 1)
    room = await (await client_for(live, alice)).join(f"user:{alice}")
    state = await room.assert_push("initial_state")
    live.broadcast_counter(alice, "pending_orders", 9)
    pushed = await room.assert_push("counter_updated", {
        "counter": "pending_orders", "value": 9,
        "metadata": {"invalidateQueries": ["orders"]}, "version": ANY,
    })
    assert pushed["version"] > state["versions"]["pending_orders"]
    live.broadcast_notification(alice, {"id": "x", "title": "hand-made"})
    await room.assert_push("new_notification", {"id": "x", "title": "hand-made"})


async def test_each_route_gets_the_dispatch_it_was_given(
    schema: Schema, engine: AsyncEngine, sessions: async_sessionmaker[Any], live: Dispatch
) -> None:
    """Two dispatches in one process: each channel uses the one its route names (no global
    lookup picks "the latest")."""
    [alice] = await add_users(sessions, schema, 1)
    other = Dispatch(settings_for(schema, models=[schema.Ticket]), engine=engine)
    room = await (
        await connect(UserSocket(other), {"user_id": alice}, endpoint=endpoint_of(live))
    ).join(f"user:{alice}")
    state = await room.assert_push("initial_state")
    assert "pending_orders" not in state["counters"]  # other's models: tickets only
    assert "open_tickets" in state["counters"]


async def test_ash_field_names_reach_the_client_in_ashdispatch_payload_shapes(
    schema: Schema, engine: AsyncEngine, sessions: async_sessionmaker[Any]
) -> None:
    """What AshDispatch's `useUserChannel` reads, frame by frame: `initial_state.notifications[]
    .timestamp`, `counter_updated.metadata.invalidate_queries`, `new_notification.timestamp`."""
    node = Node()
    Endpoint(node)
    dispatch = Dispatch(settings_for(schema, ash_field_names=True), node=node, engine=engine)
    dispatch.install(sessions)
    await node.start()
    try:
        [alice] = await add_users(sessions, schema, 1)
        await dispatch.notify(None, alice, title="welcome")
        room = await (await client_for(dispatch, alice)).join(f"user:{alice}")
        state = await room.assert_push("initial_state")
        [welcome] = state["notifications"]
        assert welcome["timestamp"] == welcome["insertedAt"]
        async with sessions() as s:
            s.add(schema.Order(user_id=alice))
            await dispatch.notify(s, alice, title="Order Created")
            await s.commit()
        note = await room.assert_push("new_notification", {
            **_any_notification(), "title": "Order Created", "timestamp": ANY,
        })
        assert note["timestamp"] == note["insertedAt"]
        await room.assert_push("counter_updated", {
            "counter": "pending_orders", "value": 1, "version": ANY,
            "metadata": {"invalidate_queries": ["orders"], "invalidateQueries": ["orders"]},
        })
    finally:
        await node.stop()

FORGED = "\nCRITICAL liveui.auth: liveui: every login of user 4 revoked (epoch 99)"


async def test_refusals_log_client_text_escaped_and_once_per_window(
    schema: Schema, sessions: async_sessionmaker[Any], live: Dispatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    alice, bob = await add_users(sessions, schema, 2)
    client = await client_for(live, alice)
    for _ in range(50):
        _, reply = await client.join_reply(f"user:{bob}{FORGED}")
        assert reply["status"] == "error"
    room = await client.join(f"user:{alice}")
    theirs = await live.notify(None, bob, title="theirs")
    ref = await room.push("mark_notification_read", {"id": theirs.id + FORGED})
    await room.assert_reply(ref, "error", {"reason": "not_found"})
    for _ in range(50):
        ref = await room.push("mark_notification_read", {"id": theirs.id})
        await room.assert_reply(ref, "error", {"reason": "unauthorized"})
    lines = [logging.Formatter("%(levelname)s %(name)s: %(message)s").format(r)
             for r in caplog.records]
    assert not [line for line in lines if "\n" in line], lines
    refused = [line for line in lines if "refused join" in line or "may not mark" in line]
    assert len(refused) == 2, refused  # one per kind of refusal: 100 refusals in all
    assert "\\nCRITICAL" in refused[0]
