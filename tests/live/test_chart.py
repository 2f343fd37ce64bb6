"""Live charts: an SVG of a collection's rows per minute, from the database on first paint,
redrawn after commits with one aggregate query per broadcast for every session that sees the
same rows, refused to users outside the collection's audience."""

from __future__ import annotations

import re
import time

import pytest

from liveui import ConfigurationError, Forbidden, LiveChart, choice
from liveui.live.view_params import range_choice
from liveui.testing import Patch

from .collections_world import MyItemsPerMinute, OpenItemsPerMinute, World, world

__all__ = ["world"]


def total(html: str) -> int:
    found = re.search(r'data-total="(\d+)"', html)
    assert found, html
    return int(found.group(1))


async def test_first_paint_counts_the_users_rows_in_the_window(world: World) -> None:
    alice, bob = await world.add_user("alice"), await world.add_user("bob")
    minute = time.time() // 60
    for _ in range(3):
        await world.add_item(alice)
    await world.add_item(bob)
    html = await world.harness.render(MyItemsPerMinute(), user_id=alice)
    crossed_a_minute = time.time() // 60 != minute
    assert 'data-chart="test_my_items_per_minute"' in html
    assert total(html) == 3
    assert html.count("<rect") == 10  # ten minutes, one bar each
    counts = [int(n) for n in re.findall(r'data-count="(\d+)"', html)]
    assert len(counts) == 10 and sum(counts) == 3
    if crossed_a_minute:  # the three rows may straddle the two newest bars
        assert counts[-2] + counts[-1] == 3
    else:
        assert counts[-1] == 3  # all in this minute's bar


async def test_a_commit_redraws_the_chart_of_every_session_with_one_query(
    world: World,
) -> None:
    admin, alice = await world.add_user("admin", admin=True), await world.add_user("alice")
    chart = OpenItemsPerMinute()
    tabs = [await world.harness.open(admin, OpenItemsPerMinute()) for _ in range(4)]
    for tab in tabs:
        await tab.next_patch()
    queries = world.dispatch.collections.queries
    await world.add_item(alice)
    for tab in tabs:
        patch: Patch = await tab.patches_until(lambda p: f"{chart.id}-svg" in p.ids)
        assert total(patch.element(f"{chart.id}-svg").html) == 1
    # The audience check and the aggregate, once for the four sessions (not once per session).
    assert world.dispatch.collections.queries - queries == 2
    second = await world.add_item(alice)
    patch = await tabs[0].patches_until(lambda p: f"{chart.id}-svg" in p.ids)
    assert total(patch.element(f"{chart.id}-svg").html) == 2
    await world.change(second, status="done")  # it leaves the collection's where filter
    patch = await tabs[0].patches_until(lambda p: f"{chart.id}-svg" in p.ids)
    assert total(patch.element(f"{chart.id}-svg").html) == 1


async def test_a_chart_of_an_audience_collection_is_refused_to_outsiders(world: World) -> None:
    alice = await world.add_user("alice")
    with pytest.raises(Forbidden):
        await world.harness.open(alice, OpenItemsPerMinute())


class ItemsByStatus(LiveChart):
    name = "test_items_by_status"
    collection = "viewed_items"
    window = 10 * 60
    group_by = "status"
    view_params = (choice("status", "all", "open", "closed", filter="status"),
                   range_choice("range", {"10m": (600, 60), "1h": (3600, 300)}))
    ranges = {"10m": (600, 60), "1h": (3600, 300)}


async def test_a_chart_follows_its_filter_and_range_params_and_groups_series(
    world: World,
) -> None:
    alice, bob = await world.add_user("alice"), await world.add_user("bob")
    for status in ("open", "open", "closed"):
        await world.add_item(alice, status=status)
    await world.add_item(bob, status="closed")  # another owner's: never counted for alice
    everything = await world.harness.render(ItemsByStatus(), user_id=alice)
    assert total(everything) == 3
    assert 'data-series="open"' in everything and 'data-series="closed"' in everything
    closed = await world.harness.render(ItemsByStatus(view={"status": "closed"}), user_id=alice)
    assert total(closed) == 1 and 'data-series="open"' not in closed
    hourly = await world.harness.render(ItemsByStatus(view={"range": "1h"}), user_id=alice)
    assert total(hourly) == 3 and 'data-buckets="12"' in hourly
    series = await world.dispatch.collections.load_series(
        "viewed_items", alice, time="inserted_at", start=int(time.time()) // 60 * 60 - 540,
        step=60, buckets=10, group_by="status")
    assert {k: sum(v) for k, v in series.groups.items()} == {"closed": 1, "open": 2}
    assert sum(series.counts) == 3


class RankPerMinute(LiveChart):
    """A chart of an aggregate: `rank` (integer cents, say) summed per bucket, as money."""

    name = "test_rank_per_minute"
    collection = "viewed_items"
    window = 10 * 60
    group_by = "status"
    sum_of = "rank"
    value_format = "money"
    value_scale = 100


async def test_a_chart_sums_an_integer_column_per_bucket_and_shows_it_as_money(
    world: World,
) -> None:
    alice, bob = await world.add_user("alice"), await world.add_user("bob")
    await world.add_item(alice, status="open", rank=1250)
    await world.add_item(alice, status="open", rank=1)
    await world.add_item(alice, status="closed", rank=99)
    await world.add_item(bob, status="open", rank=100_000)  # another owner's: never summed
    start = int(time.time()) // 60 * 60 - 540
    series = await world.dispatch.collections.load_series(
        "viewed_items", alice, time="inserted_at", start=start, step=60, buckets=10,
        group_by="status", sum_of="rank")
    assert sum(series.counts) == 1350
    assert {k: sum(v) for k, v in series.groups.items()} == {"closed": 99, "open": 1251}
    html = await world.harness.render(RankPerMinute(), user_id=alice)
    assert total(html) == 1350
    # The accessible table, a row per minute: closed, open, total. The items may straddle a
    # minute boundary, so the columns are summed over the rows, exact to the cent.
    rows = re.findall(r'<tr><th scope="row">[^<]*</th><td>\$([\d.,]+)</td><td>\$([\d.,]+)</td>'
                      r"<td>\$([\d.,]+)</td></tr>", html)
    cents = [sum(round(float(row[i].replace(",", "")) * 100) for row in rows) for i in range(3)]
    assert cents == [99, 1251, 1350], rows
    with pytest.raises(ConfigurationError, match="integer column 'title'"):
        await world.dispatch.collections.load_series(
            "viewed_items", alice, time="inserted_at", start=start, step=60, buckets=10,
            sum_of="title")
