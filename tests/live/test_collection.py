"""Live collections end to end without a browser: real SQLite, real Dispatch session hooks, the
node's feed and real sessions. First paint, patches after commits in other sessions, row-level
authorization (rows that arrive and rows that leave), one shared read for many sessions,
versions, replay/resync and anti-entropy."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from liveui import Broadcast, Forbidden
from liveui.row_events import ROWS_READ, RowsRead, RowState, collection_topic
from liveui.testing import Patch

from .collections_world import AllOpenItems, MyItems, RankedItems, World, world

__all__ = ["world"]


def row_ids(patch: Patch) -> list[str]:
    return [e.id for e in patch.elements]


async def test_first_paint_shows_the_users_rows_newest_first_within_the_limit(
    world: World,
) -> None:
    alice, bob = await world.add_user("alice"), await world.add_user("bob")
    ids = [await world.add_item(alice, f"a{i}") for i in range(4)]
    await world.add_item(bob, "bob's")
    html = await world.harness.render(MyItems(), user_id=alice)
    shown = [int(part.split('"')[0]) for part in html.split('data-item-id="')[1:]]
    assert shown == [ids[3], ids[2], ids[1]]
    assert "bob&#39;s" not in html and "bob's" not in html
    assert 'class="liveui-more"' in html and 'class="liveui-more" hidden' not in html
    assert 'class="liveui-empty" hidden' in html


async def test_empty_state(world: World) -> None:
    alice = await world.add_user("alice")
    html = await world.harness.render(MyItems(), user_id=alice)
    assert '<p id="live-test_my_items-empty" class="liveui-empty">Nothing here yet.</p>' in html


async def test_a_commit_elsewhere_inserts_updates_and_deletes_rows(world: World) -> None:
    alice = await world.add_user("alice")
    first = await world.add_item(alice, "first")
    view = MyItems()
    tab = await world.harness.open(alice, view, etags={})
    await tab.next_patch()  # first connect without an etag: the full render
    second = await world.add_item(alice, "second")
    patch = await tab.patches_until(lambda p: bool(p.inserts()))
    insert = patch.inserts()[0]
    assert insert.oob == f"afterbegin:#{view.rows_id}"  # newest first: on top
    assert f'data-item-id="{second}"' in insert.html

    await world.change(first, title="renamed")
    patch = await tab.patches_until(lambda p: view.row_id(first) in row_ids(p))
    assert patch.element(view.row_id(first)).oob == "true"
    assert patch.text(view.row_id(first)) == "renamed"

    await world.delete(first)
    patch = await tab.patches_until(lambda p: view.row_id(first) in row_ids(p))
    assert patch.element(view.row_id(first)).oob == "delete"


async def test_two_tabs_of_one_user_both_follow(world: World) -> None:
    alice = await world.add_user("alice")
    tabs = [await world.harness.open(alice, MyItems()) for _ in range(2)]
    for tab in tabs:
        await tab.next_patch()
    item = await world.add_item(alice, "both")
    for tab in tabs:
        patch = await tab.patches_until(lambda p: bool(p.inserts()))
        assert f'data-item-id="{item}"' in patch.inserts()[0].html


async def test_another_users_row_never_reaches_a_session(world: World) -> None:
    alice, bob = await world.add_user("alice"), await world.add_user("bob")
    view = MyItems()
    tab = await world.harness.open(alice, view)
    await tab.next_patch()
    await world.add_item(bob, "secret")
    await world.settle()
    mine = await world.add_item(alice, "mine")
    patch = await tab.patches_until(lambda p: bool(p.inserts()))
    assert "secret" not in patch.html and f'data-item-id="{mine}"' in patch.html
    assert [r.values["title"] for r in view.rows] == ["mine"]


async def test_a_row_given_to_another_owner_leaves_one_view_and_enters_the_other(
    world: World,
) -> None:
    alice, bob = await world.add_user("alice"), await world.add_user("bob")
    item = await world.add_item(alice, "handed over")
    alice_view, bob_view = MyItems(), MyItems()
    alice_tab = await world.harness.open(alice, alice_view)
    bob_tab = await world.harness.open(bob, bob_view)
    await alice_tab.next_patch()
    await bob_tab.next_patch()
    await world.change(item, user_id=bob)
    patch = await alice_tab.patches_until(lambda p: alice_view.row_id(item) in row_ids(p))
    assert patch.element(alice_view.row_id(item)).oob == "delete"
    patch = await bob_tab.patches_until(lambda p: bool(p.inserts()))
    assert "handed over" in patch.html


async def test_an_audience_collection_is_refused_to_outsiders(world: World) -> None:
    alice = await world.add_user("alice")
    with pytest.raises(Forbidden):
        await world.harness.open(alice, AllOpenItems())
    assert len(world.harness.live.registry) == 0


async def test_admin_rows_arrive_and_leave_when_their_status_changes(world: World) -> None:
    admin, alice = await world.add_user("admin", admin=True), await world.add_user("alice")
    view = AllOpenItems()
    tab = await world.harness.open(admin, view)
    await tab.next_patch()
    item = await world.add_item(alice, "new order")
    patch = await tab.patches_until(lambda p: bool(p.inserts()))
    wrapped = patch.inserts()[0]
    assert wrapped.tag == "tbody" and wrapped.oob == f"afterbegin:#{view.rows_id}"
    assert "<template>" in patch.html  # a <tr> travels inside a template
    await world.change(item, status="done")
    patch = await tab.patches_until(lambda p: view.row_id(item) in row_ids(p))
    assert patch.element(view.row_id(item)).oob == "delete"


async def test_one_read_per_collection_per_commit_for_every_session(world: World) -> None:
    users = [await world.add_user(f"u{i}") for i in range(10)]
    admin = await world.add_user("admin", admin=True)
    tabs = [await world.harness.open(u, MyItems()) for u in users]
    tabs += [await world.harness.open(admin, AllOpenItems()) for _ in range(5)]
    for tab in tabs:
        await tab.next_patch()
    await world.settle()
    queries, reads = world.dispatch.collections.queries, world.harness.live.feed.reads
    renderer = world.harness.live.renderer
    misses = renderer.misses
    await world.add_item(users[0], "one commit")
    await world.settle()
    # Two collections changed (my_items, all_open_items; nobody shows ranked_items): two reads.
    assert world.harness.live.feed.reads - reads == 2
    assert world.dispatch.collections.queries - queries == 2
    patched = [tab for tab in tabs if tab.pending()]
    assert len(patched) == 6  # the owner's tab and the five admin tabs
    # Rendered once per distinct state, not per session: two rows and two empty states.
    assert renderer.misses - misses <= 4


async def test_a_burst_of_commits_coalesces_into_few_reads(world: World) -> None:
    alice = await world.add_user("alice")
    tab = await world.harness.open(alice, MyItems())
    await tab.next_patch()
    await world.settle()
    reads = world.harness.live.feed.reads
    for i in range(20):
        await world.add_item(alice, f"burst {i}")
    await world.settle()
    assert 1 <= world.harness.live.feed.reads - reads <= 20
    assert [r.values["title"] for r in tab.session.components["live-test_my_items"].rows] == [
        "burst 19", "burst 18", "burst 17"]


async def test_a_stale_read_does_not_roll_a_row_back(world: World) -> None:
    alice = await world.add_user("alice")
    item = await world.add_item(alice, "current")
    view = MyItems()
    tab = await world.harness.open(alice, view)
    await tab.next_patch()
    stale = RowState(item, alice, (), (item,), {"id": item, "title": "stale", "status": "open"})
    world.harness.node.hub.deliver_local(
        Broadcast(collection_topic("my_items"), ROWS_READ,
                  RowsRead("my_items", view.version - 1, {item: stale}))
    )
    assert [r.values["title"] for r in view.rows] == ["current"]
    assert tab.pending() == 0


async def test_bulk_statements_are_announced_with_touch_rows(world: World) -> None:
    alice = await world.add_user("alice")
    items = [await world.add_item(alice, f"r{i}", rank=i) for i in range(2)]
    view = RankedItems()
    tab = await world.harness.open(alice, view)
    await tab.next_patch()
    await world.bulk_close(items)
    patch = await tab.patches_until(lambda p: view.row_id(items[1]) in row_ids(p))
    assert patch.element(view.row_id(items[0])).oob == "delete"
    assert patch.element(view.row_id(items[1])).oob == "delete"


async def test_a_reconnect_with_an_unknown_id_re_renders_the_rows(world: World) -> None:
    alice = await world.add_user("alice")
    view = MyItems()
    tab = await world.harness.open(alice, view, session_id="s1")
    await tab.next_patch()
    tab.close()
    await world.add_item(alice, "while away")
    await world.settle()
    again = await world.harness.open(alice, MyItems(), session_id="s1",
                                     last_event_id="other-epoch-9")
    patch = await again.patches_until(lambda p: view.rows_id in row_ids(p))
    assert "while away" in patch.text(view.rows_id)


async def test_anti_entropy_repairs_a_view_that_missed_a_change(world: World) -> None:
    alice = await world.add_user("alice")
    item = await world.add_item(alice, "before")
    view = MyItems()
    tab = await world.harness.open(alice, view)
    await tab.next_patch()
    async with world.engine.begin() as conn:  # behind dispatch's back: nothing is announced
        await conn.execute(text(f"UPDATE {world.Item.__tablename__} SET title = 'after' "
                                f"WHERE id = {item}"))
    registry = world.harness.live.registry
    assert await registry.verify([tab.session]) == 1
    patch = await tab.next_patch()
    assert patch.text(view.row_id(item)) == "after"
    assert await registry.verify([tab.session]) == 0  # converged: nothing more to repair


async def test_load_more_continues_after_the_last_row(world: World) -> None:
    alice = await world.add_user("alice")
    ids = [await world.add_item(alice, f"i{i}") for i in range(5)]
    view = MyItems()
    tab = await world.harness.open(alice, view)
    await tab.next_patch()
    assert [r.key for r in view.rows] == [ids[4], ids[3], ids[2]] and view.has_more
    await view.handle_event("more", {}, world.harness.live.context(alice))
    assert [r.key for r in view.rows] == [ids[4], ids[3], ids[2], ids[1], ids[0]]
    assert not view.has_more


async def test_a_row_leaving_a_full_window_pulls_the_next_one_up(world: World) -> None:
    alice = await world.add_user("alice")
    ids = [await world.add_item(alice, f"i{i}") for i in range(5)]
    view = MyItems()
    tab = await world.harness.open(alice, view)
    await tab.next_patch()
    await world.delete(ids[3])
    patch = await tab.patches_until(lambda p: bool(p.inserts()))
    assert f'data-item-id="{ids[1]}"' in patch.inserts()[0].html
    assert [r.key for r in view.rows] == [ids[4], ids[2], ids[1]] and view.has_more
