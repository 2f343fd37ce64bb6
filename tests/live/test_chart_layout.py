"""A chart's geometry: round y-axis ticks, the newest bucket at the right edge, every bar or
point titled with its value, stacked series that add up, a legend for several series, the
empty state, and the same numbers in the table; a chart's range follows its view."""

from __future__ import annotations

import re

import pytest

from liveui import LiveChart
from liveui.live.chart_layout import layout, nice_scale
from liveui.live.render import Renderer, live_environment


@pytest.mark.parametrize(("top", "ceiling", "ticks"), [
    (0, 1, [0, 1]), (1, 1, [0, 1]), (3, 3, [0, 1, 2, 3]), (5, 6, [0, 2, 4, 6]),
    (37, 40, [0, 10, 20, 30, 40]), (1000, 1000, [0, 500, 1000]), (7, 8, [0, 2, 4, 6, 8]),
])
def test_the_y_axis_ends_on_a_round_number(top: int, ceiling: int, ticks: list[int]) -> None:
    assert nice_scale(top) == (ceiling, ticks)


def test_bars_are_titled_with_their_values_and_the_newest_is_rightmost() -> None:
    state = {"start": 1_700_000_040, "step": 60, "counts": [0, 2, 0, 5]}
    drawn = layout(state, kind="bar", width=400, height=120)
    marks = drawn["marks"]
    assert [m["n"] for m in marks] == [0, 2, 0, 5]
    assert all(f": {m['n']}" in m["title"] for m in marks)
    assert [m["x"] for m in marks] == sorted(m["x"] for m in marks)
    assert marks[-1]["x"] + marks[-1]["w"] <= drawn["right"]
    assert marks[3]["h"] > marks[1]["h"] > marks[0]["h"] == 0
    assert drawn["x_labels"][-1]["text"] == "22:17"  # the newest bucket is labelled
    assert [t["text"] for t in drawn["y_ticks"]] == ["0", "2", "4", "6"]
    assert not drawn["empty"] and drawn["total"] == 7


def test_stacked_series_add_up_and_have_a_legend() -> None:
    state = {"start": 0, "step": 3600, "counts": [3, 1],
             "groups": {"cancelled": [1, 0], "pending": [2, 1]}}
    drawn = layout(state, kind="bar", width=400, height=120, unit="orders")
    assert [s["series"] for s in drawn["legend"]] == ["cancelled", "pending"]
    first = [m for m in drawn["marks"] if m["x"] == drawn["marks"][0]["x"]]
    assert sum(m["h"] for m in first) == pytest.approx(drawn["bottom"] - min(m["y"] for m in first),
                                                       abs=0.2)
    assert drawn["marks"][0]["title"] == "Jan 01 00:00 UTC · cancelled: 1 orders"
    assert drawn["rows"][0] == {"when": "Jan 01 00:00 UTC", "cells": ["1", "2"], "total": "3"}


def test_lines_and_the_empty_state() -> None:
    drawn = layout({"start": 0, "step": 86400, "counts": [0, 0, 0]}, kind="line", width=300,
                   height=100)
    (line,) = drawn["lines"]
    assert len(line["points"]) == 3 and all(p["y"] == drawn["bottom"] for p in line["points"])
    assert drawn["empty"] and drawn["x_labels"][0]["text"] == "Jan 01"


class RangedChart(LiveChart):
    name = "test_ranged_chart"
    collection = "whatever"
    ranges = {"1h": (3600, 60), "24h": (86400, 3600)}
    range_labels = {"24h": "last day"}
    title = "Things"
    group_by = "status"


def test_a_charts_range_is_a_view_param_and_its_svg_titles_every_bar() -> None:
    assert [p.name for p in RangedChart.view_params] == ["range"]
    chart = RangedChart(view={"range": "24h"})
    assert (chart.window_seconds, chart.step_seconds) == (86400, 3600)
    assert RangedChart(view={"range": "1y"}).params == {}  # not a range it offers
    chart.state = {"start": 0, "step": 3600, "counts": [1] * 24,
                   "groups": {"pending": [1] * 24}}
    html = chart.render(Renderer(live_environment(None)))
    assert 'data-live-view="range"' in html and 'data-buckets="24"' in html
    assert "<figcaption>Things · last day</figcaption>" in html
    titles = re.findall(r"<rect [^>]*data-count=\"(\d+)\"[^>]*><title>([^<]*)</title>", html)
    assert len(titles) == 24 and all(count in title for count, title in titles)
    assert html.count("<tr>") == 25  # the table: a header and one row per bucket


def test_long_tick_labels_get_room_on_the_left() -> None:
    state = {"start": 0, "step": 60, "counts": [150_000, 20_000]}
    plain = layout(state, kind="bar", width=400, height=120)
    money = layout(state, kind="bar", width=400, height=120,
                   show=lambda cents: f"${cents / 100:,.2f}")
    longest = max(len(t["text"]) for t in money["y_ticks"])
    assert money["y_ticks"][-1]["text"] == "$1,500.00" and longest == len("$1,500.00")
    assert money["left"] >= 6 * longest and money["left"] > plain["left"]
    assert all(m["x"] >= money["left"] for m in money["marks"])
