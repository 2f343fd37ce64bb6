"""The shared render cache: a fragment is reused only for a context that renders the same, above
all never a `Markup` render for plain text (that would serve the text unescaped)."""

from __future__ import annotations

import datetime
from typing import Any

import jinja2
from markupsafe import Markup

from liveui import LiveBadge, LiveComponent
from liveui.live.render import Renderer, live_environment


def renderer(**templates: str) -> Renderer:
    loader = jinja2.DictLoader({f"{name}.html": text for name, text in templates.items()})
    return Renderer(live_environment(jinja2.Environment(loader=loader)))


def test_markup_and_plain_text_of_the_same_characters_are_two_renders() -> None:
    r = renderer(text="<p>{{ text }}</p>")
    assert r.render("text.html", text=Markup("<b>x</b>")) == "<p><b>x</b></p>"
    # Same characters, but a plain string: it must be escaped, not served from the cache.
    assert r.render("text.html", text="<b>x</b>") == "<p>&lt;b&gt;x&lt;/b&gt;</p>"
    nested = {"items": [{"title": "<i>t</i>"}]}
    trusted = {"items": [{"title": Markup("<i>t</i>")}]}
    r2 = renderer(list="{% for n in items %}{{ n.title }}{% endfor %}")
    assert r2.render("list.html", **trusted) == "<i>t</i>"
    assert r2.render("list.html", **nested) == "&lt;i&gt;t&lt;/i&gt;"


def test_values_python_calls_equal_but_that_render_differently_are_apart() -> None:
    r = renderer(v="{{ v }}")
    assert [r.render("v.html", v=v) for v in (1, True, 1.0, 0.0, -0.0, None, "1")] == [
        "1",
        "True",
        "1.0",
        "0.0",
        "-0.0",
        "None",
        "1",
    ]
    assert r.misses == 7
    assert r.render("v.html", v=True) == "True" and r.hits == 1


def test_dates_are_cached_and_unknown_objects_rendered_every_time() -> None:
    r = renderer(v="{{ v }}")
    day = datetime.date(2024, 5, 1)
    assert r.render("v.html", v=day) == r.render("v.html", v=datetime.date(2024, 5, 1))
    assert (r.misses, r.hits) == (1, 1)

    class Box:
        def __init__(self, text: str) -> None:
            self.text = text

        def __str__(self) -> str:
            return "box"  # the same for every box: keying on it would serve stale HTML

    box_template = renderer(b="{{ b.text }}")
    assert box_template.render("b.html", b=Box("one")) == "one"
    assert box_template.render("b.html", b=Box("two")) == "two"
    assert box_template.hits == 0 and box_template.misses == 0  # not cached at all


def test_a_component_that_adds_to_its_context_is_not_served_a_stale_render() -> None:
    class Ticker(LiveComponent):
        name = "test-render-ticker"
        template = "ticker.html"
        ticks = 0

        def context(self) -> dict[str, Any]:
            Ticker.ticks += 1  # an input that is not in params or state
            return {**super().context(), "tick": Ticker.ticks}

    r = renderer(ticker="<i id='{{ id }}'>{{ tick }}</i>")
    ticker = Ticker()
    first, second = ticker.render(r), ticker.render(r)
    assert first != second


def test_a_badge_hit_reuses_the_render_and_params_keep_badges_apart() -> None:
    r = Renderer(live_environment(None))
    plain, labelled = LiveBadge("pending_orders"), LiveBadge("pending_orders", label="<Orders>")
    for badge in (plain, labelled):
        badge.state = {"value": 3, "version": 1}
    html = plain.render(r)
    assert plain.render(r) == html and r.hits == 1
    other = labelled.render(r)
    assert other != html and 'aria-label="&lt;Orders&gt;: 3"' in other
    plain.state = {"value": 4, "version": 2}
    assert ">4</span>" in plain.render(r)
