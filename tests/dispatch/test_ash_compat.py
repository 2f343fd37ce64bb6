"""AshDispatch settings that port as they are: the `(user_id, counter_name, value, opts)`
broadcast function through an adapter (and one that calls back into dispatch is stopped, not
recursed into), `create`/`destroy` triggers, metadata passed through, the built-in `user`
audience said again."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from liveui import ConfigurationError, Dispatch, DispatchSettings, ash_counter_broadcast, counter
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
