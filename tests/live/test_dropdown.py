"""The notification dropdown: escaping, incremental patches, actions verified server-side."""

from __future__ import annotations

import json

from liveui import NotificationDropdown
from liveui.live.actions import run_event
from tests.live.world import World

XSS = "<img src=x onerror=alert(1)>"


async def test_user_text_is_escaped_and_unsafe_links_dropped(world: World) -> None:
    alice = await world.add_user("alice")
    await world.notify(alice, title=XSS, message=XSS, action_url="javascript:alert(1)")
    html = await world.harness.render(NotificationDropdown(), user_id=alice)
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "javascript:" not in html
    assert 'aria-label="Notifications"' in html


async def test_new_notification_is_inserted_at_the_top(world: World) -> None:
    alice = await world.add_user("alice")
    await world.notify(alice, title="older")
    dropdown = NotificationDropdown()
    tab = await world.harness.open(alice, dropdown)
    full = await tab.next_patch()
    assert full.ids == [
        "liveui-notifications-list", "liveui-notifications-empty", "liveui-notifications-more"
    ]
    nid = await world.notify(alice, title="newest", action_url="/orders/1", action_label="View")
    patch = await tab.patches_until(lambda p: bool(p.inserts()))
    [insert] = patch.inserts()
    assert insert.oob == "afterbegin:#liveui-notifications-list"
    assert f'data-notification-id="{nid}"' in insert.html
    assert "data-unread" in insert.html
    assert 'href="/orders/1"' in insert.html


async def test_mark_read_patches_only_that_item(world: World) -> None:
    alice = await world.add_user("alice")
    first = await world.notify(alice, title="one")
    await world.notify(alice, title="two")
    dropdown = NotificationDropdown()
    tab = await world.harness.open(alice, dropdown)
    await tab.next_patch()
    data = {"event": "mark_read", "id": first, "spec": json.dumps(dropdown.spec())}
    registry = world.harness.live.registry
    status, reason = await run_event(registry, alice, tab.session.session_id, data)
    assert (status, reason) == (204, "")
    item_id = f"liveui-notifications-n-{first}"
    patch = await tab.patches_until(lambda p: item_id in p.ids)
    assert patch.ids == [item_id]
    assert "data-unread" not in patch.element(item_id).html
    assert "Mark as read" not in patch.element(item_id).html


async def test_an_action_on_another_users_notification_is_forbidden(world: World) -> None:
    alice = await world.add_user("alice")
    mallory = await world.add_user("mallory")
    nid = await world.notify(alice, title="private")
    spec = json.dumps(NotificationDropdown().spec())
    status, _ = await run_event(
        world.harness.live.registry, mallory, "sid", {"event": "mark_read", "id": nid, "spec": spec}
    )
    assert status == 403
    status, _ = await run_event(
        world.harness.live.registry, mallory, "sid",
        {"event": "mark_read", "id": "nope", "spec": spec},
    )
    assert status == 404
    status, reason = await run_event(world.harness.live.registry, mallory, "sid", {"event": "x"})
    assert status == 400 and "spec" in reason


async def test_mark_all_read_reaches_every_tab(world: World) -> None:
    alice = await world.add_user("alice")
    await world.notify(alice, title="one")
    await world.notify(alice, title="two")
    tabs = [await world.harness.open(alice, NotificationDropdown()) for _ in range(2)]
    for tab in tabs:
        await tab.next_patch()
    data = {"event": "mark_all_read", "spec": json.dumps(NotificationDropdown().spec())}
    registry = world.harness.live.registry
    status, _ = await run_event(registry, alice, tabs[0].session.session_id, data)
    assert status == 204
    for tab in tabs:
        patch = await tab.patches_until(lambda p: len(p.elements) >= 2)
        assert all("data-unread" not in e.html for e in patch.elements)


async def test_an_item_falling_off_the_list_is_deleted(world: World) -> None:
    alice = await world.add_user("alice")
    first = await world.notify(alice, title="first")
    await world.notify(alice, title="second")
    tab = await world.harness.open(alice, NotificationDropdown(limit=2))
    await tab.drain()
    await world.notify(alice, title="third")  # pushes "first" out of a list of two
    patch = await tab.patches_until(lambda p: bool(p.inserts()))
    deleted = f"liveui-notifications-n-{first}"
    assert deleted in patch.ids and patch.element(deleted).oob == "delete"


async def test_load_more_appends_older_pages_until_there_are_none(world: World) -> None:
    alice = await world.add_user("alice")
    for i in range(5):
        await world.notify(alice, title=f"n{i}")
    dropdown = NotificationDropdown(limit=2)
    tab = await world.harness.open(alice, dropdown)
    await tab.drain()
    assert [n["title"] for n in dropdown.state["items"]] == ["n4", "n3"]
    assert dropdown.state["more"] is True
    registry = world.harness.live.registry
    data = {"event": "load_more", "spec": json.dumps(dropdown.spec())}
    for expected in (["n4", "n3", "n2", "n1"], ["n4", "n3", "n2", "n1", "n0"]):
        assert await run_event(registry, alice, tab.session.session_id, data) == (204, "")
        patch = await tab.next_patch()
        assert [n["title"] for n in dropdown.state["items"]] == expected
        assert patch.inserts()  # the older items, inserted after the last one shown
    assert dropdown.state["more"] is False  # the last page was short
    assert "hidden" in patch.element("liveui-notifications-more").html


async def test_a_deleted_notification_leaves_every_tab(world: World) -> None:
    alice = await world.add_user("alice")
    nid = await world.notify(alice, title="bye")
    tabs = [await world.harness.open(alice, NotificationDropdown()) for _ in range(2)]
    for tab in tabs:
        await tab.drain()
    await world.dispatch.notifications.delete(nid, actor=alice)
    for tab in tabs:
        patch = await tab.patches_until(lambda p: f"liveui-notifications-n-{nid}" in p.ids)
        assert patch.element(f"liveui-notifications-n-{nid}").oob == "delete"
