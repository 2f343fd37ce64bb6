"""Live collections under a view, without a browser: real SQLite, real Dispatch, the node's
feed and real sessions. Each tab keeps exactly the rows of its own view as rows change (they
arrive at their place, leave when they stop matching, never another user's), one shared read
per distinct view per commit however many sessions show it, and a view change swaps a new
component in, re-rendered whole with its new spec."""

from __future__ import annotations

import json
from typing import Any

import pytest

from liveui import SpecError
from liveui.live.component import component_from_spec
from liveui.live.view_change import change_view
from liveui.row_events import View
from liveui.testing import LiveTab
from tests.support.waiting import wait_until

from .collections_world import ViewedItems, World, world

__all__ = ["world"]


async def truth(world: World, user: int, component: ViewedItems) -> list[int]:
    """The SQL of the component's view: its first `limit` rows."""
    page = await world.dispatch.collections.load_page(
        "viewed_items", user, limit=component.window, view=component.view_key)
    return [row.key for row in page.rows]


def shown(tab: LiveTab) -> list[int]:
    component = tab.session.components["live-test_viewed_items"]
    assert isinstance(component, ViewedItems)
    return [row.key for row in component.rows]


async def test_tabs_with_different_views_each_keep_their_views_rows(world: World) -> None:
    alice, bob = await world.add_user("alice"), await world.add_user("bob")
    for i in range(5):
        await world.add_item(alice, f"desk {i}" if i % 2 else f"chair {i}", rank=i,
                             status="open" if i < 4 else "closed")
    views = [{"status": "open", "sort": "-rank"}, {"q": "desk", "sort": "rank"},
             {"status": "closed"}, {}]
    tabs = [await world.harness.open(alice, ViewedItems(view=v)) for v in views]
    components = [t.session.components["live-test_viewed_items"] for t in tabs]
    assert [c.view_key for c in components] == [  # type: ignore[attr-defined]
        View((("status", "open"),), "", "-rank"), View((), "desk", "rank"),
        View((("status", "closed"),), "", "-inserted"), View((), "", "-inserted")]

    async def check() -> None:
        await world.settle()
        for tab, component in zip(tabs, components, strict=True):
            assert isinstance(component, ViewedItems)
            want = await truth(world, alice, component)
            # A row that left a full window is replaced by a refill read: wait for it.
            await wait_until(lambda tab=tab, want=want: shown(tab) == want, timeout=2,
                             describe=lambda tab=tab, want=want: f"{shown(tab)} != {want}")

    await check()
    top = await world.add_item(alice, "desk top", rank=99)  # first in "-rank", last in "rank"
    await check()
    assert shown(tabs[0])[0] == top
    await world.change(top, status="closed")  # leaves the open tab, enters the closed one
    await check()
    assert top not in shown(tabs[0]) and top in shown(tabs[2])
    await world.change(top, title="a chair now")  # leaves the "desk" search
    await check()
    await world.add_item(bob, "bob's desk", rank=1000)  # another user's: nowhere
    await check()
    low = await world.add_item(alice, "desk low", rank=-1)
    await check()
    assert shown(tabs[1])[0] == low  # "rank" ascending: at the top, the last row fell off


async def test_one_read_per_distinct_view_per_commit(world: World) -> None:
    alice = await world.add_user("alice")
    views = [{"status": "open"}, {"q": "x"}, {"sort": "rank"}]
    tabs = [await world.harness.open(alice, ViewedItems(view=views[i % 3])) for i in range(12)]
    await world.settle()
    feed = world.harness.live.feed
    reads, queries = feed.reads, world.dispatch.collections.queries
    await world.add_item(alice, "x marks", rank=3)
    await world.settle()
    assert feed.reads - reads == 3  # one per view, not one per session (12)
    assert world.dispatch.collections.queries - queries == 3
    for tab in tabs:
        component = tab.session.components["live-test_viewed_items"]
        assert isinstance(component, ViewedItems)
        assert shown(tab) == await truth(world, alice, component)


async def test_a_view_change_swaps_the_component_and_its_spec(world: World) -> None:
    alice, bob = await world.add_user("alice"), await world.add_user("bob")
    ids = [await world.add_item(alice, f"item {i}", rank=10 - i) for i in range(4)]
    tab = await world.harness.open(alice, ViewedItems())
    await tab.drain()
    registry = world.harness.live.registry
    sid = tab.session.session_id

    async def change(view: Any, user: int = alice, component: str = "live-test_viewed_items"
                     ) -> tuple[int, Any]:
        raw = view if isinstance(view, str) else json.dumps(view)
        answer = await change_view(registry, user, sid,
                                   {"component": component, "view": raw})
        body = bytes(answer.body)
        return answer.status_code, json.loads(body) if answer.status_code == 200 else body

    status, body = await change({"sort": "rank", "status": "nonsense", "q": {"x": 1}})
    assert status == 200
    assert body == {"view": {"status": "all", "q": "", "sort": "rank", "pages": "1"},
                    "query": "sort=rank"}
    patch = await tab.next_patch()
    root = patch.element("live-test_viewed_items")
    assert root.oob == "true"  # the whole element, its params with it
    assert "&#34;sort&#34;: &#34;rank&#34;" in root.html or "&#34;sort&#34;:&#34;rank&#34;" \
        in root.html
    assert shown(tab) == [ids[3], ids[2], ids[1]]  # rank ascending, three shown
    # The same view again: nothing re-read, nothing sent.
    assert (await change({"sort": "rank"}))[0] == 200
    assert tab.pending() == 0
    # The harness's tab drives the same path (a test helper for applications).
    assert (await tab.change_view("live-test_viewed_items", sort="-rank"))["query"] == \
        "sort=-rank"
    assert shown(tab) == [ids[0], ids[1], ids[2]]
    await tab.drain()
    with pytest.raises(AssertionError, match="409"):
        await tab.change_view("live-nothing-here")
    assert (await tab.change_view("live-test_viewed_items", sort="rank"))["view"]["sort"] == \
        "rank"
    await tab.drain()
    # Later commits follow the new view.
    low = await world.add_item(alice, "low", rank=0)
    await world.settle()
    await wait_until(lambda: shown(tab)[0] == low, timeout=2)
    # A resync (the page's copy unknown, e.g. it missed the swap) sends the whole element:
    # the page's spec and headers follow the session's view.
    await tab.drain()
    await tab.session.resync()
    root = (await tab.patches_until(lambda p: "live-test_viewed_items" in p.ids)).element(
        "live-test_viewed_items")
    assert "&#34;rank&#34;" in root.html and 'data-live-view="status q sort pages"' in root.html
    # Refusals: malformed (400), not this tab's (409), never another user's session.
    assert (await change("["))[0] == 400
    assert (await change("[1]"))[0] == 400
    assert (await change({}, component="live-other"))[0] == 409
    assert (await change({}, user=bob))[0] == 409


async def test_a_pages_spec_carries_its_view_and_forged_views_are_cleaned(world: World) -> None:
    component, _ = component_from_spec(
        {"c": "test_viewed_items", "p": {"view": {"status": "closed", "sort": "evil", "q": 1}}})
    assert component.params == {"view": {"status": "closed"}}
    assert component.view == {"status": "closed", "q": "", "sort": "-inserted", "pages": "1"}
    with pytest.raises(SpecError):
        component_from_spec({"c": "test_viewed_items", "p": {"view": "status=closed"}})
    # A spec asking for nothing unusual is the plain component (same params, same id).
    plain, _ = component_from_spec({"c": "test_viewed_items", "p": {"view": {"sort": "-inserted"}}})
    assert plain.params == {} and plain.id == ViewedItems().id


async def test_pages_are_a_view_param_load_more_is_a_link_and_a_new_order_starts_again(
    world: World,
) -> None:
    alice = await world.add_user("alice")
    ids = [await world.add_item(alice, f"item {i}", rank=i) for i in range(8)]
    tab = await world.harness.open(alice, ViewedItems(view={"sort": "rank"}))
    component = tab.session.components["live-test_viewed_items"]
    assert isinstance(component, ViewedItems)
    assert shown(tab) == ids[:3] and component.more_link() == "?sort=rank&pages=2"
    html = component.render(world.harness.live.renderer)
    assert 'href="?sort=rank&amp;pages=2" data-live-view-link' in html
    assert component.sort_link("rank")["href"] == "?sort=-rank"
    await tab.drain()
    answer = await tab.change_view("live-test_viewed_items", sort="rank", pages="2")
    assert answer["query"] == "sort=rank&pages=2"
    assert shown(tab) == ids[:6]
    again = tab.session.components["live-test_viewed_items"]
    assert isinstance(again, ViewedItems)
    assert again.sort_link("rank")["href"] == "?sort=-rank"  # a new order: page one again
    assert again.more_link() == "?sort=rank&pages=3"
    await tab.change_view("live-test_viewed_items", sort="rank", pages="3")
    assert shown(tab) == ids  # all eight: "load more" hides
    last = tab.session.components["live-test_viewed_items"]
    assert isinstance(last, ViewedItems) and not last.has_more
    assert (await tab.change_view("live-test_viewed_items", pages="99"))["query"] == ""
