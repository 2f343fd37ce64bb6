"""Counters converge across nodes: deterministic reproducers of the races two nodes sharing one
database and one pub/sub run into.

Each node is a `Dispatch` of its own (its own session hooks, its own broadcasts, recorded); the
tabs are real `LiveBadge` readers fed every node's broadcasts in every possible arrival order.
Whatever the order, the value a tab ends with must be the database's.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from liveui import Broadcast, Dispatch, LiveBadge
from liveui.testing import BroadcastRecorder, RecordedBroadcast
from tests.support.dispatch_schema import Schema, add_users, both_databases, settings_for


class TwoNodes:
    def __init__(self, schema: Schema, engine: AsyncEngine) -> None:
        self.schema = schema
        self.engine = engine
        self.recorders: dict[str, BroadcastRecorder] = {}
        self.nodes: dict[str, Dispatch] = {}
        self.sessions: dict[str, async_sessionmaker[Any]] = {}
        for name in ("a", "b"):
            self.start(name)

    def start(self, name: str) -> None:
        """A node process starting (again): a new Dispatch and sessions; nothing remembered."""
        recorder = self.recorders.setdefault(name, BroadcastRecorder())
        dispatch = Dispatch(settings_for(self.schema), engine=self.engine, broadcast=recorder)
        sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        dispatch.install(sessions)
        self.nodes[name], self.sessions[name] = dispatch, sessions

    async def add_order(self, node: str, user: int) -> None:
        async with self.sessions[node]() as s:
            s.add(self.schema.Order(user_id=user))
            await s.commit()
        await self.nodes[node].wait_idle()

    async def remove_order(self, node: str, user: int) -> None:
        async with self.sessions[node]() as s:
            order = await s.scalar(
                select(self.schema.Order).where(self.schema.Order.user_id == user).limit(1)
            )
            await s.delete(order)
            await s.commit()
        await self.nodes[node].wait_idle()

    async def pending(self, user: int) -> int:
        async with self.engine.connect() as conn:
            count = select(func.count()).where(self.schema.Order.user_id == user)
            return int(await conn.scalar(count.select_from(self.schema.Order)))

    def broadcasts(self, user: int) -> list[RecordedBroadcast]:
        return [
            b for recorder in self.recorders.values()
            for b in recorder.events(user, "counter_updated")
            if b.payload["counter"] == "pending_orders"
        ]

    async def stop(self) -> None:
        for dispatch in self.nodes.values():
            await dispatch.stop()


def shown_after(arrivals: tuple[RecordedBroadcast, ...]) -> int:
    """What a tab shows after these broadcasts arrive in this order (the real badge logic)."""
    badge = LiveBadge("pending_orders")
    for b in arrivals:
        badge.handle_info(Broadcast(b.topic, b.event, b.payload))
    return int(badge.state["value"])


def every_order_shows(broadcasts: list[RecordedBroadcast]) -> set[int]:
    return {shown_after(order) for order in itertools.permutations(broadcasts)}


@pytest.fixture
async def two_nodes(schema: Schema, engine: AsyncEngine) -> Any:
    nodes = TwoNodes(schema, engine)
    try:
        yield nodes
    finally:
        await nodes.stop()


@both_databases
async def test_two_nodes_recounting_one_owner_in_opposite_order_converge(
    schema: Schema, two_nodes: TwoNodes, sessions: async_sessionmaker[Any]
) -> None:
    """B counts 1, A counts 2, B counts 1 again. A node that compared with its own last
    broadcast would stay silent the second time, and every tab would keep A's 2 forever."""
    [alice] = await add_users(sessions, schema, 1)
    await two_nodes.add_order("b", alice)
    await two_nodes.add_order("a", alice)
    await two_nodes.remove_order("b", alice)
    assert await two_nodes.pending(alice) == 1
    assert two_nodes.recorders["b"].counter_values(alice, "pending_orders") == [1, 1]
    sent = two_nodes.broadcasts(alice)
    assert shown_after(tuple(sent)) == 1  # in the order they were made
    assert every_order_shows(sent) == {1}  # and in any order the pub/sub delivers them


@both_databases
async def test_a_stale_read_never_carries_a_newer_version(
    schema: Schema, two_nodes: TwoNodes, sessions: async_sessionmaker[Any]
) -> None:
    """Versions order reads: a read that started later is newer, whichever node made it."""
    [alice] = await add_users(sessions, schema, 1)
    for node in ("a", "b", "a", "b"):
        await two_nodes.add_order(node, alice)
    sent = two_nodes.broadcasts(alice)
    by_version = sorted(sent, key=lambda b: b.payload["version"])
    assert [b.payload["value"] for b in by_version] == [1, 2, 3, 4]
    assert every_order_shows(sent) == {4}


async def test_a_restart_between_two_recounts_still_converges(
    schema: Schema, two_nodes: TwoNodes, sessions: async_sessionmaker[Any]
) -> None:
    """A restarted node remembers nothing and its old broadcasts may still be in flight."""
    [alice] = await add_users(sessions, schema, 1)
    await two_nodes.add_order("a", alice)  # A says 1
    await two_nodes.add_order("b", alice)  # B says 2
    await two_nodes.nodes["a"].stop()
    two_nodes.start("a")  # A restarts: a fresh process
    await two_nodes.remove_order("a", alice)  # A says 1 again
    assert await two_nodes.pending(alice) == 1
    assert every_order_shows(two_nodes.broadcasts(alice)) == {1}


@both_databases
async def test_page_loads_and_recounts_share_one_clock(
    schema: Schema, two_nodes: TwoNodes, sessions: async_sessionmaker[Any]
) -> None:
    """A load that started after a recount is never older than it, on either node; on
    PostgreSQL both read the database server's clock."""
    [alice] = await add_users(sessions, schema, 1)
    await two_nodes.add_order("a", alice)
    [recount] = two_nodes.broadcasts(alice)
    loaded = await two_nodes.nodes["b"].counters.load_counter_values(alice)
    assert loaded["pending_orders"].value == 1
    assert loaded["pending_orders"].version > recount.payload["version"]
    # And a reader holding the load drops the (older) recount.
    badge = LiveBadge("pending_orders")
    badge.set_from(loaded)
    assert badge.handle_info(Broadcast(recount.topic, recount.event, recount.payload)) is False
