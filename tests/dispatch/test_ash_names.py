"""AshDispatch names that port as they are written: `broadcast_counters(user_id, counters)` (one
message), the counter option `counter_name` (a wire name other than the declaration's), and
`channel_state(counter_domains=...)`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import ForeignKey, String
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from liveui import (
    ConfigurationError,
    Dispatch,
    DispatchSettings,
    ash_counter_broadcast,
    async_url,
    counter,
)
from liveui.dispatch.describe import describe_counters
from liveui.testing import BroadcastRecorder
from liveui.user_events import read_counter_updates
from tests.support.dispatch_schema import Schema, add_users, settings_for


async def test_broadcast_counters_sends_several_counters_in_one_message(
    schema: Schema, engine: AsyncEngine, dispatch_broadcasts: BroadcastRecorder
) -> None:
    dispatch = Dispatch(settings_for(schema), engine=engine, broadcast=dispatch_broadcasts)
    dispatch.broadcast_counters(7, {"pending_orders": 3, "open_tickets": 1})
    [sent] = dispatch_broadcasts.broadcasts  # one message for both
    assert (sent.topic, sent.event) == ("user:7", "counters_updated")
    assert sent.payload["counters"] == {"pending_orders": 3, "open_tickets": 1}
    versions = sent.payload["versions"]
    assert set(versions) == {"pending_orders", "open_tickets"}
    assert len(set(versions.values())) == 1 and isinstance(versions["open_tickets"], int)
    assert sent.payload["metadata"] == {"invalidateQueries": ["orders"]}
    assert [(u.counter, u.value) for u in read_counter_updates(sent.event, sent.payload)] == [
        ("pending_orders", 3), ("open_tickets", 1),
    ]
    await dispatch_broadcasts.assert_counter_broadcast(7, "open_tickets", 1)


async def test_an_ash_style_function_gets_each_counter_of_broadcast_counters(
    schema: Schema, engine: AsyncEngine
) -> None:
    calls: list[tuple[str, str, int]] = []
    dispatch = Dispatch(settings_for(schema), engine=engine, broadcast=ash_counter_broadcast(
        lambda user_id, name, value, opts: calls.append((user_id, name, value))
    ))
    dispatch.broadcast_counters(7, {"pending_orders": 3, "open_tickets": 1})
    assert calls == [("7", "pending_orders", 3), ("7", "open_tickets", 1)]


class _Renamed:
    """A schema whose counter is declared `pending` and sent as `pending_orders_badge`."""

    def __init__(self) -> None:
        prefix = "r" + uuid.uuid4().hex[:10]

        class Base(DeclarativeBase):
            pass

        class User(Base):
            __tablename__ = f"{prefix}_users"
            id: Mapped[int] = mapped_column(primary_key=True)

        class Order(Base):
            __tablename__ = f"{prefix}_orders"
            id: Mapped[int] = mapped_column(primary_key=True)
            user_id: Mapped[int] = mapped_column(ForeignKey(f"{prefix}_users.id"))
            status: Mapped[str] = mapped_column(String(20), default="pending")
            __counters__ = [
                counter("pending", counter_name="pending_orders_badge",
                        where=lambda: Order.status == "pending", owner=lambda: Order.user_id,
                        invalidates=["orders"]),
            ]

        self.Base, self.User, self.Order = Base, User, Order


@pytest_asyncio.fixture
async def renamed(tmp_path: Any) -> AsyncIterator[tuple[_Renamed, AsyncEngine]]:
    schema = _Renamed()
    engine = create_async_engine(async_url(f"sqlite:///{tmp_path / 'renamed.db'}"))
    async with engine.begin() as conn:
        await conn.run_sync(schema.Base.metadata.create_all)
    try:
        yield schema, engine
    finally:
        await engine.dispose()


async def test_counter_name_is_the_name_on_the_wire(
    renamed: tuple[_Renamed, AsyncEngine], dispatch_broadcasts: BroadcastRecorder
) -> None:
    schema, engine = renamed
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    settings = DispatchSettings(models=[schema.Order], user_model=schema.User,
                                coalesce_window=0.005)
    dispatch = Dispatch(settings, engine=engine, broadcast=dispatch_broadcasts)
    dispatch.install(sessions)
    async with sessions() as s:
        s.add(schema.User(id=1))
        await s.commit()
        s.add(schema.Order(user_id=1))
        await s.commit()
    await dispatch_broadcasts.assert_counter_broadcast(1, "pending_orders_badge", 1)
    assert not [b for b in dispatch_broadcasts.broadcasts if b.payload.get("counter") == "pending"]
    assert await dispatch.counters.load_counters_for_user(1) == {"pending_orders_badge": 1}
    assert dispatch.counter_names == {"pending_orders_badge"}
    [info] = describe_counters(dispatch)
    assert str(info).startswith("pending_orders_badge (declared as pending) on Order")

    dispatch_broadcasts.clear()
    dispatch.touch("pending", owners=[1])  # the declared name still names it in Python
    await dispatch_broadcasts.assert_counter_broadcast(1, "pending_orders_badge", 1)
    dispatch.broadcast_counter(1, "pending", 4)
    sent = dispatch_broadcasts.events(1, "counter_updated")
    [hand] = [b for b in sent if b.payload["value"] == 4]
    assert hand.payload["counter"] == "pending_orders_badge"
    assert hand.payload["metadata"] == {"invalidateQueries": ["orders"]}
    await dispatch.stop()


def test_a_counter_name_must_be_an_identifier_and_unique() -> None:
    with pytest.raises(ConfigurationError, match="counter_name"):
        counter("pending", counter_name="no spaces")
    assert counter("pending", counter_name="badge").name == "badge"
    assert counter("pending", counter_name="badge").declared == "pending"
    assert counter("pending").declared == ""


async def test_channel_state_takes_counter_domains_as_ashdispatch_names_it(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch
) -> None:
    [alice] = await add_users(sessions, schema, 1)
    by_domains = await dispatch.channel_state(alice, counter_domains=[schema.Order])
    by_models = await dispatch.channel_state(alice, counter_models=[schema.Order])
    assert set(by_domains["counters"]) == set(by_models["counters"]) == {"pending_orders"}
    built = await dispatch.state.build(alice, counter_domains=[schema.Ticket])
    assert set(built["counters"]) == {"open_tickets"}
    with pytest.raises(TypeError, match="not both"):
        await dispatch.channel_state(alice, counter_models=[schema.Order],
                                     counter_domains=[schema.Order])
