"""Views of a declared collection on a real database: filters, a search and a sort narrow and
order the rows in SQL; keyset pages under every sort and filter never repeat or skip a row;
the shared re-read of changed keys answers None for the rows a view does not show; the
declaration bounds what a view can ask for."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from liveui import ConfigurationError
from liveui.row_events import Descending, View
from tests.live.collections_world import World, world

__all__ = ["world"]

SORTS = ["", "rank", "-rank", "inserted", "-inserted"]


@dataclass(frozen=True)
class Item:
    id: int
    owner: int
    title: str
    status: str
    rank: int


def expected(items: list[Item], owner: int, view: View) -> list[int]:
    """What the view must list, computed without SQL."""
    wanted = dict(view.filters)
    rows = [i for i in items if i.owner == owner
            and all(getattr(i, k) == v for k, v in wanted.items())
            and view.search.lower() in i.title.lower()]
    name = view.sort.lstrip("-") or "inserted"
    descending = view.sort.startswith("-") or not view.sort  # the declared order: id desc
    if name == "rank":
        rows.sort(key=lambda i: (i.rank, i.id), reverse=descending)
    else:
        rows.sort(key=lambda i: i.id, reverse=descending)
    return [i.id for i in rows]


async def make_items(world: World) -> tuple[int, int, list[Item]]:
    alice, bob = await world.add_user("alice"), await world.add_user("bob")
    items = []
    ranks = [3, 1, 2, 3, 1, 5, 0, 2, 3, 1]  # ties: the primary key breaks them
    for i, rank in enumerate(ranks):
        for owner in (alice, bob):
            title = f"Item {i}" + (" Desk" if i % 2 else "") + (" 100% wool" if i == 4 else "")
            status = "open" if i % 3 else "closed"
            key = await world.add_item(owner, title, status=status, rank=rank)
            items.append(Item(key, owner, title, status, rank))
    return alice, bob, items


async def test_keyset_pages_under_every_sort_and_filter_list_exactly_the_views_rows(
    world: World,
) -> None:
    alice, _, items = await make_items(world)
    source = world.dispatch.collections
    checked = 0
    for order in SORTS:
        for filters in ((), (("status", "open"),), (("status", "closed"),)):
            for text in ("", "desk", "DESK", "%", "nothing matches"):
                view = View(filters, text, order)
                shown: list[int] = []
                after = None
                while True:
                    page = await source.load_page("viewed_items", alice, limit=2, after=after,
                                                  view=view)
                    shown += [row.key for row in page.rows]
                    if not page.has_more:
                        break
                    after = page.rows[-1].cursor
                assert shown == expected(items, alice, view), view
                checked += len(shown)
    assert checked > 100  # the combinations above really list rows


async def test_a_search_is_a_substring_not_a_pattern(world: World) -> None:
    alice, _, _ = await make_items(world)
    page = await world.dispatch.collections.load_page(
        "viewed_items", alice, limit=50, view=View((), "0% w", ""))
    assert [r.values["title"] for r in page.rows] == ["Item 4 100% wool"]
    page = await world.dispatch.collections.load_page(
        "viewed_items", alice, limit=50, view=View((), "_", ""))
    assert page.rows == []  # "_" is a character here, not LIKE's wildcard


async def test_the_shared_reread_answers_none_for_rows_outside_the_view(world: World) -> None:
    alice, bob = await world.add_user("alice"), await world.add_user("bob")
    lamp = await world.add_item(alice, "Desk lamp", rank=4)
    chair = await world.add_item(alice, "Chair", rank=2)
    closed = await world.add_item(alice, "Old desk", status="closed", rank=1)
    bobs = await world.add_item(bob, "Bob's desk", rank=9)
    view = View((("status", "open"),), "desk", "-rank")
    read = await world.dispatch.collections.load_keys(
        "viewed_items", [lamp, chair, closed, bobs], view)
    assert read.view == view
    assert read.rows[chair] is None and read.rows[closed] is None
    lamp_row, bobs_row = read.rows[lamp], read.rows[bobs]
    assert lamp_row is not None and lamp_row.sort == (Descending(4), Descending(lamp))
    # Every owner's matching rows: the sessions keep their own user's (the read is shared).
    assert bobs_row is not None and bobs_row.owner == bob


async def test_a_view_the_declaration_does_not_allow_is_refused(world: World) -> None:
    alice = await world.add_user("alice")
    source = world.dispatch.collections
    for view in (View((("user_id", "2"),), "", ""), View((), "", "title"),
                 View((), "", "-password")):
        with pytest.raises(ConfigurationError):
            await source.load_page("viewed_items", alice, limit=5, view=view)
    with pytest.raises(ConfigurationError, match="no search"):
        await source.load_page("my_items", alice, limit=5, view=View((), "x", ""))
    info = source.info("viewed_items")
    assert info.filters == ("status",) and info.sorts == ("rank", "inserted") and info.searchable
