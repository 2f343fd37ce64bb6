"""Live values converge: the dropdown merges events from several nodes into the same list
whatever order they arrive in, and anti-entropy repairs a page that missed a broadcast without
any signal that something was lost."""

from __future__ import annotations

import itertools
import time
from typing import Any

from sqlalchemy import update

from liveui import Broadcast, LiveBadge, NotificationDropdown
from tests.live.world import World
from tests.support.lost_writes import insert_unseen_order

TOPIC = "user:1"


def _notification(nid: str, inserted: str) -> dict[str, Any]:
    return {"id": nid, "title": nid, "read": False, "insertedAt": inserted}


EVENTS = [
    Broadcast(TOPIC, "new_notification", _notification("n1", "2026-01-01T10:00:00Z")),
    Broadcast(TOPIC, "new_notification", _notification("n2", "2026-01-01T10:00:00.000002Z")),
    Broadcast(TOPIC, "notification_read", {"id": "n1"}),
    Broadcast(TOPIC, "all_notifications_read",
              {"markedCount": 1, "readBefore": "2026-01-01T10:00:00.000003Z"}),
    Broadcast(TOPIC, "new_notification", _notification("n3", "2026-01-01T10:00:01Z")),
]
"""n1 and n2, n1 read in one tab, "mark all read" after n2, then n3: as the database has it,
n3 is unread and n1, n2 are read, newest first."""


def shown(order: tuple[Broadcast, ...]) -> list[tuple[str, bool]]:
    dropdown = NotificationDropdown(limit=10)
    for message in order:
        dropdown.handle_info(message)
    return [(n["id"], bool(n["read"])) for n in dropdown.state["items"]]


def test_the_dropdown_ends_the_same_in_every_arrival_order() -> None:
    expected = [("n3", False), ("n2", True), ("n1", True)]
    results = {tuple(shown(order)) for order in itertools.permutations(EVENTS)}
    assert results == {tuple(expected)}


def test_a_late_old_notification_keeps_its_place_and_the_limit() -> None:
    dropdown = NotificationDropdown(limit=2)
    for message in (EVENTS[4], EVENTS[1]):
        dropdown.handle_info(message)
    # n1 is older than both shown: with a limit of 2 it is not shown, and nothing changed.
    assert dropdown.handle_info(EVENTS[0]) is False
    assert [n["id"] for n in dropdown.state["items"]] == ["n3", "n2"]


def test_the_latest_cut_off_wins() -> None:
    dropdown = NotificationDropdown(limit=10)
    later = Broadcast(TOPIC, "all_notifications_read",
                      {"markedCount": 0, "readBefore": "2026-01-01T11:00:00Z"})
    earlier = Broadcast(TOPIC, "all_notifications_read",
                        {"markedCount": 0, "readBefore": "2026-01-01T09:00:00Z"})
    dropdown.handle_info(later)
    dropdown.handle_info(earlier)
    dropdown.handle_info(EVENTS[0])  # inserted at 10:00, before the later cut-off
    assert dropdown.state["items"][0]["read"] is True


async def _lost_order(world: World, user_id: int) -> None:
    await insert_unseen_order(world.engine, world.Order, user_id)


async def test_anti_entropy_repairs_a_tab_that_missed_a_broadcast(world: World) -> None:
    alice = await world.add_user("alice")
    nid = await world.notify(alice, title="hello")
    badge, dropdown = LiveBadge("pending_orders"), NotificationDropdown()
    tab = await world.harness.open(alice, badge, dropdown)
    assert len(await tab.drain()) == 1  # the first full render of both, written as one
    registry = world.harness.live.registry
    session = tab.session

    # Nothing drifted: a check sends nothing and repairs nothing.
    assert await registry.verify([session]) == 0
    assert tab.pending() == 0 and registry.repairs == 0 and registry.verified == 1

    # Broadcasts lost with no outage reported: writes the dispatch hooks never saw.
    await _lost_order(world, alice)
    async with world.engine.begin() as conn:
        await conn.execute(update(world.Notification.__table__).values(read=True))
    assert tab.pending() == 0

    assert await registry.verify([session]) == 1
    patch = await tab.next_patch()  # both drifted components, in one write
    assert patch.text(badge.id) == "1"
    item = f"liveui-notifications-n-{nid}"
    assert patch.ids == [badge.id, item]
    assert "data-unread" not in patch.html.split(item)[1]  # now read
    assert registry.repairs == 1
    assert await registry.verify([session]) == 0  # repaired for good


async def test_the_shared_timer_verifies_a_bounded_batch(world: World) -> None:
    alice = await world.add_user("alice")
    tabs = [await world.harness.open(alice, LiveBadge("pending_orders")) for _ in range(3)]
    for tab in tabs:
        await tab.next_patch()
    registry = world.harness.live.registry
    await _lost_order(world, alice)
    limit = registry.settings.verify_per_tick
    registry.settings = type(registry.settings)(verify_per_tick=2, verify_interval=60)
    try:
        for tab in tabs:
            tab.session.verified_at -= 61  # every session is due
        registry.check(time.monotonic())
        assert registry._verifier is not None
        await registry._verifier
        assert registry.verified == 2 and registry.repairs == 2  # the budget, not all three
        registry.check(time.monotonic())
        assert registry._verifier is not None
        await registry._verifier
        assert registry.verified == 3 and registry.repairs == 3  # the third, next tick
        for tab in tabs:
            assert (await tab.next_patch()).text("liveui-badge-pending_orders") == "1"
    finally:
        registry.settings = type(registry.settings)(verify_per_tick=limit)


async def test_one_check_loads_its_users_together_in_one_batch(world: World) -> None:
    users = [await world.add_user(f"u{i}") for i in range(3)]
    tabs = [await world.harness.open(user, LiveBadge("pending_orders")) for user in users]
    for tab in tabs:
        await tab.next_patch()
    for user in users:
        await _lost_order(world, user)
    batcher = world.dispatch.counters.batcher
    batches, loads = batcher.batches, batcher.loads
    assert await world.harness.live.registry.verify([tab.session for tab in tabs]) == 3
    # Three users' loads, one query per counter for all of them (not three rounds).
    assert (batcher.loads - loads, batcher.batches - batches) == (3, 1)
    for tab in tabs:
        assert (await tab.next_patch()).text("liveui-badge-pending_orders") == "1"


async def test_mark_all_read_racing_a_commit_leaves_that_one_unread_everywhere(
    world: World,
) -> None:
    """A notification built (and timed) before a "mark all read" but committed after it is
    unread in the database: every reader must agree, whatever order the events arrive in."""
    alice = await world.add_user("alice")
    recorded: list[Broadcast] = []
    world.harness.node.hub.subscribe(f"user:{alice}", _Recorder(recorded))
    await world.notify(alice, title="before")
    async with world.sessions() as session:
        await world.dispatch.notify(session, alice, title="late")  # timed, not committed yet
        await world.dispatch.notifications.mark_all_as_read(alice, actor=alice)
        await session.commit()
    await world.dispatch.wait_idle()
    rows = await world.dispatch.notifications.load_recent(alice)
    assert {n["title"]: n["read"] for n in rows} == {"before": True, "late": False}
    events = [m for m in recorded if m.event in ("new_notification", "all_notifications_read")]
    assert len(events) == 3
    for order in itertools.permutations(events):
        dropdown = NotificationDropdown()
        for message in order:
            dropdown.handle_info(message)
        shown = {n["title"]: n["read"] for n in dropdown.state["items"]}
        assert shown == {"before": True, "late": False}, [m.event for m in order]


class _Recorder:
    def __init__(self, into: list[Broadcast]) -> None:
        self.into = into

    def deliver(self, message: Broadcast) -> None:
        self.into.append(message)


async def test_a_check_never_rolls_a_tab_back_to_its_users_older_load(world: World) -> None:
    """The sessions of one user share one load per check. A commit's broadcast that lands
    between that load and a later session's turn must not be undone by the load: the user's
    sessions wait together (their broadcasts are applied after the check, newest wins)."""
    import asyncio

    from liveui.user_events import counter_updated, user_topic

    alice = await world.add_user("alice")
    tabs = [await world.harness.open(alice, LiveBadge("pending_orders"), NotificationDropdown())
            for _ in range(2)]
    for tab in tabs:
        await tab.drain()
    notifications = world.dispatch.notifications
    real_load = notifications.load_recent
    loaded, go = asyncio.Event(), asyncio.Event()

    async def stale_load(user_id: Any, limit: int) -> Any:
        values = await real_load(user_id, limit=limit)  # read before the commits below
        loaded.set()
        await go.wait()
        return values

    notifications.load_recent = stale_load  # type: ignore[method-assign]
    try:
        check = asyncio.ensure_future(
            world.harness.live.registry.verify([tab.session for tab in tabs]))
        await asyncio.wait_for(loaded.wait(), 5)
        await _lost_order(world, alice)  # the commit, and its recount's broadcast
        newer = time.time_ns() // 1000 + 1_000_000
        world.harness.live.node.broadcast(
            user_topic(alice), "counter_updated", counter_updated("pending_orders", 1, newer))
        nid = await world.notify(alice, title="during the check")  # committed and broadcast
        await world.dispatch.coalescer.wait_idle()  # its broadcasts delivered (or waiting)
        go.set()
        assert await asyncio.wait_for(check, 5) == 0  # nothing drifted: the broadcast came
    finally:
        notifications.load_recent = real_load  # type: ignore[method-assign]
    item = f"liveui-notifications-n-{nid}"
    for tab in tabs:  # each page shows the commit's count and notification, nothing older after
        seen = [await tab.next_patch()]
        while item not in seen[-1].html:
            seen.append(await tab.next_patch())
        seen += await tab.drain()
        badges = [p.text("liveui-badge-pending_orders") for p in seen
                  if "liveui-badge-pending_orders" in p.ids]
        assert badges[-1:] == ["1"], badges
        at = next(i for i, p in enumerate(seen) if item in p.html)
        assert not any("liveui-notifications" in p.html for p in seen[at + 1:]), \
            "a later patch changed the list again (an older load rolled it back)"
    assert await world.harness.live.registry.verify([tab.session for tab in tabs]) == 0
