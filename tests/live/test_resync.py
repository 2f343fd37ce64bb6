"""Resync after a pub/sub outage: every live session of the node re-mounts from the database and
sends only what changed, attached or waiting for its tab to come back.

Writes go through Core statements on the engine, which the dispatch hooks never see: exactly
the state of a node whose broadcasts were lost while its backend was away.
"""

from __future__ import annotations

from liveui import LiveBadge, NotificationDropdown
from tests.live.world import World
from tests.support.lost_writes import insert_unseen_order


async def _lost_order(world: World, user_id: int) -> None:
    await insert_unseen_order(world.engine, world.Order, user_id)


async def test_resync_sends_what_changed_while_broadcasts_were_lost(world: World) -> None:
    alice = await world.add_user("alice")
    badge, dropdown = LiveBadge("pending_orders"), NotificationDropdown()
    tab = await world.harness.open(alice, badge, dropdown)
    [first] = await tab.drain()  # no etags: a full first render of each, in one write
    assert first.text(badge.id) == "0"
    await _lost_order(world, alice)
    await _lost_order(world, alice)
    assert tab.pending() == 0  # nobody told the session

    await world.harness.node.hub.resync()

    patch = await tab.next_patch()
    assert patch.ids == [badge.id]  # the unchanged dropdown is not sent again
    assert patch.text(badge.id) == "2"
    assert tab.pending() == 0


async def test_resync_without_changes_sends_nothing(world: World) -> None:
    alice = await world.add_user("alice")
    badge = LiveBadge("pending_orders")
    tab = await world.harness.open(alice, badge)
    await tab.next_patch()
    await world.harness.node.hub.resync()
    await world.add_order(alice)  # a normal, broadcast change afterwards
    patch = await tab.next_patch()
    assert patch.text(badge.id) == "1"  # the first patch after the resync is this one


async def test_a_detached_session_replays_the_repaired_state(world: World) -> None:
    alice = await world.add_user("alice")
    tab = await world.harness.open(alice, LiveBadge("pending_orders"), session_id="s-away")
    seen = await tab.next_patch()
    tab.close()  # the tab's connection dropped; the session waits for it
    await _lost_order(world, alice)
    await world.harness.node.hub.resync()
    again = await world.harness.open(
        alice, LiveBadge("pending_orders"), session_id="s-away", last_event_id=seen.event_id
    )
    replayed = await again.next_patch()
    assert replayed.text("liveui-badge-pending_orders") == "1"


async def test_every_session_of_the_node_resyncs(world: World) -> None:
    users = [await world.add_user(f"u{i}") for i in range(6)]  # more than resync_concurrency
    tabs = [await world.harness.open(u, LiveBadge("pending_orders")) for u in users]
    for tab in tabs:
        await tab.next_patch()
    for i, user in enumerate(users):
        for _ in range(i):
            await _lost_order(world, user)
    await world.harness.node.hub.resync()
    for i, tab in enumerate(tabs[1:], start=1):
        assert (await tab.next_patch()).text("liveui-badge-pending_orders") == str(i)
    assert tabs[0].pending() == 0
