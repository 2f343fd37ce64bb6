"""UserChannel resync: after a pub/sub outage every joined `user:*` channel of the node pushes a
fresh `initial_state` from the database, once, whatever the number of channels.

Orders are inserted with Core statements, which the dispatch hooks never see: the state of a
node whose broadcasts were lost while its backend was away.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from liveui import Dispatch
from tests.channels.user_channels import client_for, endpoint_of
from tests.support.dispatch_schema import Schema, add_users
from tests.support.lost_writes import insert_unseen_order


async def test_hub_resync_pushes_a_fresh_initial_state_to_every_joined_channel(
    schema: Schema, engine: AsyncEngine, sessions: async_sessionmaker[Any], live: Dispatch
) -> None:
    alice, bob = await add_users(sessions, schema, 2)
    tabs = []
    for user in (alice, alice, bob):
        client = await client_for(live, user)
        tab = await client.join(f"user:{user}")
        await tab.assert_push("initial_state")
        tabs.append(tab)
    await insert_unseen_order(engine, schema.Order, alice)
    await insert_unseen_order(engine, schema.Order, alice)
    await insert_unseen_order(engine, schema.Order, bob)

    await live.node.hub.resync()

    for tab, expected in zip(tabs, (2, 2, 1), strict=True):
        state = await tab.assert_push("initial_state")
        assert state["counters"]["pending_orders"] == expected
        assert set(state["versions"]) == set(state["counters"])
        # One listener for the whole endpoint: three joins, one initial_state each.
        await tab.refute_push("initial_state")


async def test_resync_all_counts_joined_channels_only(
    schema: Schema, sessions: async_sessionmaker[Any], live: Dispatch
) -> None:
    [alice] = await add_users(sessions, schema, 1)
    client = await client_for(live, alice)
    tab = await client.join(f"user:{alice}")
    await tab.assert_push("initial_state")
    assert endpoint_of(live).resync_channels() == 1
    await tab.assert_push("initial_state")
    await tab.leave()
    assert endpoint_of(live).resync_channels() == 0
