"""The live badge: first paint from the database, then patches after commits, never backwards."""

from __future__ import annotations

from liveui import LiveBadge
from liveui.dispatch.counter_declaration import CounterValue
from tests.live.world import World


async def test_first_paint_shows_the_counted_value(world: World) -> None:
    alice = await world.add_user("alice")
    await world.add_order(alice)
    await world.add_order(alice)
    await world.dispatch.wait_idle()
    html = await world.harness.render(LiveBadge("pending_orders"), user_id=alice)
    assert 'data-counter="pending_orders"' in html
    assert '>2</span>' in html


async def test_commit_in_another_session_patches_the_badge(world: World) -> None:
    alice = await world.add_user("alice")
    tab = await world.harness.open(alice, LiveBadge("pending_orders"))
    first = await tab.next_patch()  # the page showed no etag: a full render
    assert first.text("liveui-badge-pending_orders") == "0"
    await world.add_order(alice)
    patch = await tab.next_patch()
    assert patch.ids == ["liveui-badge-pending_orders"]
    assert patch.element("liveui-badge-pending_orders").oob == "true"
    assert patch.text("liveui-badge-pending_orders") == "1"


async def test_stale_versions_are_dropped(world: World) -> None:
    alice = await world.add_user("alice")
    badge = LiveBadge("pending_orders")
    tab = await world.harness.open(alice, badge, etags={badge.id: "0"})
    topic = f"user:{alice}"
    held = tab.session.components[badge.id].state["version"]
    world.harness.broadcast(
        topic, "counter_updated", {"counter": "pending_orders", "value": 5, "version": held + 10}
    )
    assert (await tab.next_patch()).text(badge.id) == "5"
    # An older version arriving late must not roll the value back.
    world.harness.broadcast(
        topic, "counter_updated", {"counter": "pending_orders", "value": 3, "version": held + 9}
    )
    world.harness.broadcast(
        topic, "counter_updated", {"counter": "pending_orders", "value": 6, "version": held + 11}
    )
    assert (await tab.next_patch()).text(badge.id) == "6"


async def test_broadcast_counters_patches_the_badge_from_one_message(world: World) -> None:
    alice = await world.add_user("alice")
    badge = LiveBadge("pending_orders")
    tab = await world.harness.open(alice, badge, etags={badge.id: "0"})
    world.dispatch.broadcast_counters(alice, {"open_tickets": 2, "pending_orders": 7})
    assert (await tab.next_patch()).text(badge.id) == "7"
    held = tab.session.components[badge.id].state["version"]
    world.harness.broadcast(f"user:{alice}", "counters_updated", {  # older: dropped
        "counters": {"pending_orders": 1}, "versions": {"pending_orders": held - 1},
    })
    world.harness.broadcast(f"user:{alice}", "counters_updated", {
        "counters": {"pending_orders": 8}, "versions": {"pending_orders": held + 1},
    })
    assert (await tab.next_patch()).text(badge.id) == "8"


async def test_hide_zero_and_label(world: World) -> None:
    alice = await world.add_user("alice")
    html = await world.harness.render(
        LiveBadge("pending_orders", label="Pending", hide_zero=True), user_id=alice
    )
    assert " hidden" in html
    assert 'aria-label="Pending: 0"' in html


async def test_another_users_counter_does_not_reach_the_badge(world: World) -> None:
    alice = await world.add_user("alice")
    bob = await world.add_user("bob")
    badge = LiveBadge("pending_orders")
    tab = await world.harness.open(alice, badge, etags={badge.id: "0"})
    await world.add_order(bob)
    await world.dispatch.wait_idle()
    await world.add_order(alice)
    patch = await tab.next_patch()
    assert patch.text(badge.id) == "1"  # the first patch is alice's own, bob's never came


async def test_many_sessions_share_one_render_per_state(world: World) -> None:
    users = [await world.add_user(f"u{i}") for i in range(5)]
    renderer = world.harness.live.renderer
    tabs = [await world.harness.open(u, LiveBadge("pending_orders")) for u in users]
    for tab in tabs:
        await tab.next_patch()
    misses = renderer.misses
    for u in users:  # every user's count goes 0 -> 1: five sessions, one render of "1"
        await world.add_order(u)
    for tab in tabs:
        assert (await tab.next_patch()).text("liveui-badge-pending_orders") == "1"
    assert renderer.misses == misses + 1


def test_a_counter_missing_from_a_load_keeps_what_the_badge_showed() -> None:
    """A load that left a counter out (its query failed) must not turn a shown value into 0."""
    badge = LiveBadge("pending_orders")
    badge.set_from({"pending_orders": CounterValue(4, 10)})
    badge.set_from({})
    assert badge.state == {"value": 4, "version": 10}
    fresh = LiveBadge("pending_orders")
    fresh.set_from({})
    assert fresh.state == {"value": 0, "version": 0}


async def test_a_page_connecting_late_misses_nothing_committed_in_between(world: World) -> None:
    """Rendered at T, connected at T+d: a commit during d was broadcast to nobody, yet the page
    gets it on connect (the session mounts from the database and compares etags)."""
    alice = await world.add_user("alice")
    badge = LiveBadge("pending_orders")
    await badge.mount(world.harness.live.context(alice))  # what the page rendered: 0
    rendered_etag = badge.etag()
    await world.add_order(alice)  # committed before the page's connection exists
    await world.dispatch.wait_idle()
    tab = await world.harness.open(alice, LiveBadge("pending_orders"),
                                   etags={badge.id: rendered_etag})
    assert (await tab.next_patch()).text(badge.id) == "1"
