"""The notification dropdown: escaping, incremental patches, actions verified server-side."""

from __future__ import annotations

from liveui import NotificationDropdown
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
    assert await tab.click(dropdown, "mark_read", id=first) == (204, "")
    item_id = f"liveui-notifications-n-{first}"
    patch = await tab.patches_until(lambda p: item_id in p.ids)
    assert patch.ids == [item_id]
    assert "data-unread" not in patch.element(item_id).html
    assert "Mark as read" not in patch.element(item_id).html


async def test_an_action_on_another_users_notification_is_forbidden(world: World) -> None:
    alice = await world.add_user("alice")
    mallory = await world.add_user("mallory")
    nid = await world.notify(alice, title="private")
    harness, dropdown = world.harness, NotificationDropdown()
    result = await harness.send_event(mallory, "mark_read", dropdown, session_id="sid", id=nid)
    assert result.status == 403 and not result.ok
    result = await harness.send_event(mallory, "mark_read", dropdown, session_id="sid", id="nope")
    assert result.status == 404
    status, reason = await harness.send_event(mallory, "x", session_id="sid")
    assert status == 400 and "spec" in reason


async def test_mark_all_read_reaches_every_tab(world: World) -> None:
    alice = await world.add_user("alice")
    await world.notify(alice, title="one")
    await world.notify(alice, title="two")
    tabs = [await world.harness.open(alice, NotificationDropdown()) for _ in range(2)]
    for tab in tabs:
        await tab.next_patch()
    result = await tabs[0].click(NotificationDropdown(), "mark_all_read")
    assert result.ok
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
    for expected in (["n4", "n3", "n2", "n1"], ["n4", "n3", "n2", "n1", "n0"]):
        assert await tab.click(dropdown, "load_more") == (204, "")
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
