"""Two demo nodes, one database, one pub/sub backend (Redis, then PostgreSQL LISTEN/NOTIFY):
alice's phoenix.js client and alice's live page, both on node B, see what alice and an admin do
through node A, and a force-logout issued outside both nodes closes her socket on B with 1001."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.compat.bridge import PhoenixClient
from tests.multinode.clients import join_user_channel, open_live_page, pending_seen, same_document
from tests.multinode.cluster import ShopDatabase, ShopUser, force_logout
from tests.multinode.nodes import Cluster, running_cluster
from tests.support.waiting import block_until

pytestmark = pytest.mark.e2e

WAIT = 15.0


@pytest.fixture(params=["redis", "postgres"])
def cluster(
    request: pytest.FixtureRequest, shop_db: ShopDatabase, tmp_path: Path
) -> Iterator[Cluster]:
    if request.param == "redis":
        pubsub_url: str = request.getfixturevalue("redis_url")
    else:
        pubsub_url = shop_db.url  # LISTEN/NOTIFY in the shop's own database
    with running_cluster(shop_db, pubsub_url, tmp_path) as running:
        yield running


def test_writes_through_a_reach_clients_on_b(
    cluster: Cluster, phoenix: PhoenixClient, page: Page, shop_users: list[ShopUser]
) -> None:
    db, alice = cluster.db, cluster.alice
    state = join_user_channel(phoenix, cluster.b, alice)
    before = db.pending_orders(alice)
    assert state["payload"]["counters"]["pending_orders"] == before
    badge = open_live_page(page, cluster.b)
    expect(badge).to_have_text(str(before))

    # alice places an order through node A
    shop = ShopUser(cluster.a, "alice")
    shop_users.append(shop)
    shop.place_order()
    after = db.pending_orders(alice)
    assert after == before + 1
    phoenix.wait(
        "chan_msg",
        WAIT,
        channel="c",
        event="counter_updated",
        where=lambda e: (
            e["payload"]["counter"] == "pending_orders" and e["payload"]["value"] == after
        ),
    )
    expect(badge).to_have_text(str(after), timeout=WAIT * 1000)

    # an admin on node A completes it: a notification for alice, and one pending order fewer
    admin = ShopUser(cluster.a, "admin")
    shop_users.append(admin)
    order_id = int(
        db.value("SELECT max(id) FROM orders WHERE user_id = $1 AND status = 'pending'", alice)
    )
    admin.complete_order(order_id)
    title = f"Order #{order_id} completed"
    note = phoenix.wait("chan_msg", WAIT, channel="c", event="new_notification")
    assert note["payload"]["title"] == title
    expect(page.locator("[data-notification-id]").first).to_contain_text(title, timeout=WAIT * 1000)
    expect(badge).to_have_text(str(before), timeout=WAIT * 1000)
    assert db.pending_orders(alice) == before
    # The socket's event may arrive after the badge's: wait for it rather than read at once.
    block_until(lambda: pending_seen(phoenix) == before, WAIT, "the socket to see the completion")
    assert same_document(page)


def test_force_logout_from_outside_closes_the_socket_on_b(
    cluster: Cluster, phoenix: PhoenixClient
) -> None:
    alice = cluster.alice
    join_user_channel(phoenix, cluster.b, alice)
    force_logout(cluster.pubsub_url, f"users_socket:{alice}")
    closed = phoenix.wait("ws_close", WAIT, socket="s")
    assert closed["code"] == 1001
    # 1001 tells phoenix.js to come back: it reconnects and rejoins by itself.
    phoenix.wait("join", WAIT, channel="c", status="ok")
