"""AshDispatch settings that port as they are: the `(user_id, counter_name, value, opts)`
broadcast function through an adapter (and one that calls back into dispatch is stopped, not
recursed into), `create`/`destroy` triggers, metadata passed through, the built-in `user`
audience said again."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from liveui import (
    ConfigurationError,
    Dispatch,
    DispatchSettings,
    Node,
    ash_counter_broadcast,
    counter,
)
from liveui.testing import BroadcastRecorder
from tests.support.dispatch_schema import Schema, add_users, settings_for


async def test_an_ash_style_broadcast_function_gets_counters_and_the_rest_falls_back(
    schema: Schema, engine: AsyncEngine, sessions: async_sessionmaker[Any]
) -> None:
    counters: list[tuple[str, str, int, dict[str, Any]]] = []
    others = BroadcastRecorder()

    def ash_fn(user_id: str, name: str, value: int, opts: Any) -> None:
        counters.append((user_id, name, value, dict(opts)))

    dispatch = Dispatch(settings_for(schema), engine=engine,
                        broadcast=ash_counter_broadcast(ash_fn, others))
    dispatch.install(sessions)
    [alice] = await add_users(sessions, schema, 1)
    async with sessions() as s:
        s.add(schema.Order(user_id=alice))
        await dispatch.notify(s, alice, title="hi")
        await s.commit()
    await dispatch.wait_idle()
    pending = [c for c in counters if c[1] == "pending_orders"]
    assert pending and pending[-1][:3] == (str(alice), "pending_orders", 1)
    assert pending[-1][3]["metadata"] == {"invalidateQueries": ["orders"]}
    assert isinstance(pending[-1][3]["version"], int)
    assert [b.event for b in others.events(alice)] == ["new_notification"]  # not a counter
    await dispatch.stop()


async def test_a_broadcast_function_calling_back_into_dispatch_is_stopped(
    schema: Schema, engine: AsyncEngine, sessions: async_sessionmaker[Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """AshDispatch's docs point counter_broadcast_fn at the channel's broadcast_counter; here
    that is Dispatch.broadcast_counter, which broadcasts through dispatch again."""
    holder: dict[str, Dispatch] = {}

    def back_into_dispatch(user_id: str, name: str, value: int, opts: Any) -> None:
        holder["d"].broadcast_counter(user_id, name, value, opts.get("metadata"))

    dispatch = Dispatch(settings_for(schema), engine=engine,
                        broadcast=ash_counter_broadcast(back_into_dispatch))
    holder["d"] = dispatch
    dispatch.install(sessions)
    [alice] = await add_users(sessions, schema, 1)
    with caplog.at_level(logging.ERROR, logger="liveui.dispatch"):
        for _ in range(2):
            async with sessions() as s:
                s.add(schema.Order(user_id=alice))
                await s.commit()
            await dispatch.wait_idle()
    errors = [r.getMessage() for r in caplog.records if "calls back into" in r.getMessage()]
    assert len(errors) == 1  # said once, no RecursionError, the app goes on
    await dispatch.stop()


def test_ash_trigger_names_are_aliases_and_near_misses_are_refused() -> None:
    assert counter("c", on=["create", "update", "destroy"]).on == ("insert", "update", "delete")
    assert counter("c", on=["create", "complete"]).on == ("insert", "complete")
    with pytest.raises(ConfigurationError, match="did you mean 'insert'"):
        counter("c", on=["insrt"])
    with pytest.raises(ConfigurationError, match="did you mean"):
        counter("c", on=["destory"])


async def test_hand_made_counter_metadata_passes_through(
    schema: Schema, engine: AsyncEngine, dispatch_broadcasts: BroadcastRecorder
) -> None:
    dispatch = Dispatch(settings_for(schema), engine=engine, broadcast=dispatch_broadcasts)
    dispatch.broadcast_counter(1, "pending_orders", 4, {"source": "import", "batch": 7})
    [sent] = dispatch_broadcasts.events(1, "counter_updated")
    assert sent.payload["metadata"] == {
        "source": "import", "batch": 7, "invalidateQueries": ["orders"],
    }


def test_the_built_in_user_audience_may_be_said_again() -> None:
    assert DispatchSettings(audiences={"user": []}).audiences == {}
    with pytest.raises(ConfigurationError, match="takes no filter"):
        DispatchSettings(audiences={"user": "anything"})


ASH_CALLS: list[tuple[str, str, int, Any]] = []


def ash_style_broadcast_counter(
    user_id: str, counter_name: str, value: int, opts: Any = None
) -> None:
    """AshDispatch's `broadcast_counter(user_id, counter_name, value, opts \\\\ [])`."""
    ASH_CALLS.append((user_id, counter_name, value, opts))


class _Probe:
    def __init__(self) -> None:
        self.events: list[str] = []

    def deliver(self, message: Any) -> None:
        self.events.append(message.event)


async def test_an_ash_style_counter_broadcast_fn_is_adapted_when_configured(
    schema: Schema, engine: AsyncEngine, sessions: async_sessionmaker[Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Configured by name as AshDispatch configures `{MyAppWeb.UserChannel, :broadcast_counter}`:
    its signature is read then; counters reach it, the notification goes to the node."""
    ASH_CALLS.clear()
    node = Node()
    with caplog.at_level(logging.INFO, logger="liveui.dispatch"):
        dispatch = Dispatch(
            settings_for(schema, counter_broadcast_fn=(
                "tests.dispatch.test_ash_compat:ash_style_broadcast_counter")),
            node=node, engine=engine,
        )
    [said] = [r for r in caplog.records if "AshDispatch's (user_id" in r.getMessage()]
    assert "node.broadcast" in said.getMessage()
    dispatch.install(sessions)
    [alice] = await add_users(sessions, schema, 1)
    probe = _Probe()
    node.hub.subscribe(f"user:{alice}", probe)
    async with sessions() as s:
        s.add(schema.Order(user_id=alice))
        await dispatch.notify(s, alice, title="hi")
        await s.commit()
    await dispatch.wait_idle()
    pending = [c for c in ASH_CALLS if c[1] == "pending_orders"]
    assert pending and pending[-1][:3] == (str(alice), "pending_orders", 1)
    assert pending[-1][3]["metadata"]["invalidateQueries"] == ["orders"]
    assert probe.events == ["new_notification"]  # not a counter: to the node, not to the fn
    await dispatch.stop()


def test_a_counter_broadcast_fn_of_neither_signature_is_refused_naming_the_fix(
    schema: Schema,
) -> None:
    def two(user_id: str, value: int) -> None: ...

    with pytest.raises(ConfigurationError, match=r"\(topic, event, payload\).*AshDispatch's"):
        Dispatch(settings_for(schema, counter_broadcast_fn=two))
    kept = BroadcastRecorder()
    assert Dispatch(settings_for(schema), broadcast=kept).broadcaster._fn is kept
    varargs = Dispatch(settings_for(schema), broadcast=lambda *args: None)
    assert varargs.broadcaster.configured


async def test_ash_field_names_sends_the_ashdispatch_payload_shapes(
    schema: Schema, engine: AsyncEngine, sessions: async_sessionmaker[Any],
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    """What AshDispatch's React hook reads: `payload.metadata.invalidate_queries` of
    counter_updated, `timestamp` of each notification (new_notification, initial_state)."""
    dispatch = Dispatch(settings_for(schema, ash_field_names=True), engine=engine,
                        broadcast=dispatch_broadcasts)
    dispatch.install(sessions)
    [alice] = await add_users(sessions, schema, 1)
    async with sessions() as s:
        s.add(schema.Order(user_id=alice))
        await dispatch.notify(s, alice, title="Order Created", type="success",
                              action_label="View Order", action_url="/orders/1")
        await s.commit()
    counter = await dispatch_broadcasts.assert_counter_broadcast(alice, "pending_orders", 1)
    assert counter["metadata"]["invalidate_queries"] == ["orders"]  # AshDispatch's name
    assert counter["metadata"]["invalidateQueries"] == ["orders"]   # liveui's readers'
    note = await dispatch_broadcasts.assert_notification_broadcast(alice, "Order Created")
    ash_notification = {"id", "type", "title", "message", "read", "timestamp", "metadata",
                         "actionLabel", "actionUrl"}
    assert ash_notification <= set(note)
    assert note["timestamp"] == note["insertedAt"]
    state = await dispatch.channel_state(alice)
    assert state["counters"]["pending_orders"] == 1
    assert [n["timestamp"] for n in state["notifications"]] == [note["timestamp"]]
    dispatch.broadcast_counters(alice, {"pending_orders": 2})
    [many] = dispatch_broadcasts.events(alice, "counters_updated")
    assert many.payload["metadata"]["invalidate_queries"] == ["orders"]
    await dispatch.stop()


async def test_without_the_switch_only_liveui_names_are_sent(
    schema: Schema, dispatch: Dispatch, sessions: async_sessionmaker[Any],
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    [alice] = await add_users(sessions, schema, 1)
    await dispatch.notify(None, alice, title="hi")
    note = await dispatch_broadcasts.assert_notification_broadcast(alice, "hi")
    assert "timestamp" not in note
    counter = await dispatch_broadcasts.assert_counter_broadcast(alice, "unread_notifications")
    assert "invalidate_queries" not in counter["metadata"]


def test_past_tenses_are_row_events_and_action_names_near_them_are_accepted() -> None:
    assert counter("c", on=["created", "updated", "deleted"]).on == ("insert", "update", "delete")
    assert counter("c", on=["inserted", "destroyed"]).on == ("insert", "delete")
    for action in ("delete_all", "upsert", "complete", "cancel", "archive", "reinsert_all"):
        assert counter("c", on=[action]).on == (action,)
    for typo, meant in (("insrt", "insert"), ("destory", "destroy"), ("upate", "update"),
                        ("delte", "delete"), ("crate", "create"), ("updatd", "update")):
        with pytest.raises(ConfigurationError, match=f"did you mean '{meant}'"):
            counter("c", on=[typo])
