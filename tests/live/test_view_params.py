"""View params: declared names, allowed values and defaults; cleaning never fails (a value a
param does not allow becomes its default, undeclared names are ignored); a cleaned view keeps
only what differs from the defaults, so equal views have equal params; the URL query and the
collection `View` follow from it; any component may declare them, and a new view of it is the
same element."""

from __future__ import annotations

import jinja2
import pytest
from starlette.datastructures import QueryParams

from liveui import LiveComponent, LiveContext, choice, search, sort
from liveui.live.view_params import clean_view, full_view, range_choice, view_of, view_query
from liveui.row_events import View
from liveui.testing import live_harness

PARAMS = (
    choice("status", "all", "pending", "completed", filter="status"),
    search("q", max_length=10),
    sort("sort", "amount", "inserted", default="-inserted"),
)


def test_allowed_values_are_kept_and_defaults_left_out() -> None:
    raw = {"status": "pending", "q": " desk ", "sort": "-amount"}
    assert clean_view(PARAMS, raw) == {"status": "pending", "q": "desk", "sort": "-amount"}
    assert clean_view(PARAMS, {"status": "all", "q": "", "sort": "-inserted"}) == {}
    assert clean_view(PARAMS, None) == {}


@pytest.mark.parametrize("raw", [
    {"status": "bogus"}, {"status": "PENDING"}, {"status": 1}, {"status": None},
    {"q": "x" * 11}, {"q": "a\x00b"}, {"q": {"$ne": 1}}, {"sort": "-password"},
    {"sort": "--amount"}, {"sort": ""}, {"user_id": "2"}, {"status": []},
])
def test_values_a_param_does_not_allow_become_the_default(raw: dict[str, object]) -> None:
    assert clean_view(PARAMS, raw) == {}


def test_a_url_query_with_repeated_names_takes_the_first() -> None:
    query = QueryParams("status=completed&status=pending&q=lamp&page=3")
    assert clean_view(PARAMS, query) == {"status": "completed", "q": "lamp"}


def test_the_collection_view_and_the_url_query_of_a_view() -> None:
    view = {"q": "desk", "status": "pending", "sort": "amount"}
    assert view_of(PARAMS, view) == View((("status", "pending"),), "desk", "amount")
    assert view_of(PARAMS, {}) == View((), "", "-inserted")  # "all" filters nothing
    assert view_query(PARAMS, view) == "status=pending&q=desk&sort=amount"  # declared order
    assert view_query(PARAMS, {"q": "a&b=c"}) == "q=a%26b%3Dc"
    assert full_view(PARAMS, {"q": "x"}) == {"status": "all", "q": "x", "sort": "-inserted"}


def test_declarations_are_checked() -> None:
    with pytest.raises(ValueError):
        choice("status")
    with pytest.raises(ValueError):
        choice("status", "a", "b", default="c")
    with pytest.raises(ValueError):
        sort("sort", "amount", default="-price")
    ranges = range_choice("range", {"30m": (1800, 60), "24h": (86400, 3600)})
    assert ranges.default == "30m" and ranges.choices == ("30m", "24h") and ranges.role == ""
    assert ranges.clean("7d") == "30m"


class Leaderboard(LiveComponent):
    """A component of the application's own with a view param (not a collection)."""

    name = "test_view_leaderboard"
    template = "leaderboard.html"
    view_params = (choice("period", "week", "month", "all"),)
    params_schema = {"view": dict}

    def __init__(self, view: dict[str, str] | None = None) -> None:
        cleaned = self.clean_view(view)
        super().__init__(**({"view": cleaned} if cleaned else {}))

    async def mount(self, ctx: LiveContext) -> None:
        self.state = {"period": self.view["period"]}


async def test_an_own_component_keeps_its_element_across_views_and_is_swapped_whole() -> None:
    assert Leaderboard(view={"period": "month"}).id == Leaderboard().id
    env = jinja2.Environment(loader=jinja2.DictLoader({
        "leaderboard.html": '<div id="{{ id }}" {{ attrs }}>{{ state.period }}</div>'}))
    async with live_harness() as harness:
        harness.live.use_environment(env)
        tab = await harness.open("7", Leaderboard())
        await tab.drain()
        answer = await tab.change_view(Leaderboard().id, period="month", other="x")
        assert answer == {"view": {"period": "month"}, "query": "period=month"}
        patch = await tab.next_patch()
        assert patch.text(Leaderboard().id) == "month"
        assert 'data-live-view="period"' in patch.element(Leaderboard().id).html
