"""A Redis outage in the middle of a busy session: two demo nodes on a throwaway redis-server,
alice's phoenix.js client and live page on node B, orders placed through node A while Redis is
down. After Redis returns, every client converges to the database without a reload: node B's
hub reports the gap, its UserChannels push a fresh `initial_state` and its live sessions patch
what changed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.compat.bridge import PhoenixClient
from tests.multinode.clients import join_user_channel, open_live_page, pending_seen, same_document
from tests.multinode.cluster import ShopDatabase, ShopUser
from tests.multinode.nodes import Cluster, running_cluster
from tests.support.redis_server import RedisServer
from tests.support.waiting import block_until

pytestmark = pytest.mark.e2e

WAIT = 20.0  # Redis reconnects back off up to 5 s (plus jitter) on both nodes
ORDERS_WHILE_DOWN = 3


@pytest.fixture
def cluster(shop_db: ShopDatabase, redis_server: RedisServer, tmp_path: Path) -> Iterator[Cluster]:
    with running_cluster(shop_db, redis_server.url, tmp_path) as running:
        yield running


def initial_states(phoenix: PhoenixClient) -> int:
    return len(phoenix.all("chan_msg", channel="c", event="initial_state"))


def test_every_client_converges_to_the_database_after_redis_returns(
    cluster: Cluster,
    redis_server: RedisServer,
    phoenix: PhoenixClient,
    page: Page,
    shop_users: list[ShopUser],
) -> None:
    db, alice = cluster.db, cluster.alice
    join_user_channel(phoenix, cluster.b, alice)
    badge = open_live_page(page, cluster.b)
    shop = ShopUser(cluster.a, "alice")
    shop_users.append(shop)

    # Before the outage, A's writes reach B.
    shop.place_order()
    before = db.pending_orders(alice)
    block_until(lambda: pending_seen(phoenix) == before, WAIT, "the order placed before")
    expect(badge).to_have_text(str(before), timeout=WAIT * 1000)
    joined_states = initial_states(phoenix)

    redis_server.stop()
    for _ in range(ORDERS_WHILE_DOWN):
        shop.place_order()  # committed; A's broadcasts wait in its outbox
    expected = db.pending_orders(alice)
    assert expected == before + ORDERS_WHILE_DOWN
    # A tried to publish those recounts and failed (its log says so): had anything reached B,
    # it would have by now. It did not: nothing can reach B while Redis is down.
    block_until(
        lambda: "pub/sub publishing unavailable" in cluster.a.log(), WAIT,
        "node A to fail publishing",
    )
    assert pending_seen(phoenix) == before
    expect(badge).to_have_text(str(before))

    redis_server.start()  # the same port: both nodes reconnect by themselves

    block_until(lambda: initial_states(phoenix) > joined_states, WAIT, "a resync initial_state")
    block_until(lambda: pending_seen(phoenix) == expected, WAIT, "the client to converge")
    expect(badge).to_have_text(str(expected), timeout=WAIT * 1000)
    resynced = phoenix.all("chan_msg", channel="c", event="initial_state")[-1]
    assert resynced["payload"]["counters"]["pending_orders"] == expected
    assert same_document(page)
    assert db.pending_orders(alice) == expected
    # The page's patch may also come from A's outbox arriving late: B's log shows that both
    # kinds of client were reloaded from the database, not only sent what A replayed.
    block_until(
        lambda: _resynced(cluster.b.log()) >= {"live session", "channel"},
        WAIT,
        "node B to log the resync of its live sessions and channels",
    )


RESYNC_LOG = re.compile(r"resync: ([1-9][0-9]*) (live session|channel)")


def _resynced(log: str) -> set[str]:
    """The kinds of client node B's log says it resynced (at least one of each)."""
    return {kind for _, kind in RESYNC_LOG.findall(log)}
