"""The notification panel stays inside the viewport wherever the bell is, on a phone and a
desktop width, and still hangs under its bell."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, FloatRect, Page

from liveui.testing import LiveServer, serve
from tests.e2e.live_app import build_app, create_database

pytestmark = pytest.mark.e2e

# The test page's header holds the dropdown and a badge; these move the bell along it.
PLACES = {
    "left": "header { display: flex; justify-content: flex-start; }",
    "middle": "header { display: flex; justify-content: center; }",
    "right": "header { display: flex; justify-content: flex-end; }"
    " header > span { order: -1; }",  # the bell last, at the right edge
}
WIDTHS = [375, 1280]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    db: Path = tmp_path_factory.mktemp("placement") / "placement.db"
    create_database(db, users=1)
    built = build_app(db)
    with serve(built.app, timeout_graceful_shutdown=1) as server:
        for i in range(3):  # the panel with content, as users see it
            body = {"title": f"Order #{i} shipped", "message": "x " * 60}
            httpx.post(f"{server.url}/test/notify/1", json=body, timeout=10).raise_for_status()
        yield server


def open_page(browser: Browser, site: LiveServer, width: int, place: str) -> Page:
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(f"{site.url}/login/1")
    page.add_style_tag(content=PLACES[place])
    return page


def box(page: Page, selector: str) -> FloatRect:
    result = page.locator(selector).first.bounding_box()
    assert result is not None, f"{selector} is not displayed"
    return result


def assert_on_screen(page: Page) -> None:
    viewport = page.evaluate("document.documentElement.clientWidth")
    panel, bell = box(page, ".liveui-panel"), box(page, ".liveui-bell")
    assert panel["x"] >= 0, f"panel runs off the left: {panel}"
    assert panel["x"] + panel["width"] <= viewport, f"panel runs off the right: {panel}"
    assert panel["width"] >= min(300, viewport - 32), f"panel squeezed: {panel}"
    # Still the bell's panel: just below it, overlapping it sideways.
    assert bell["y"] + bell["height"] <= panel["y"] <= bell["y"] + bell["height"] + 16
    assert panel["x"] < bell["x"] + bell["width"] and bell["x"] < panel["x"] + panel["width"]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("place", list(PLACES))
def test_panel_stays_on_screen(browser: Browser, site: LiveServer, width: int, place: str) -> None:
    page = open_page(browser, site, width, place)
    try:
        bell = box(page, ".liveui-bell")
        centre = bell["x"] + bell["width"] / 2
        expected = {"left": centre < width / 4, "middle": abs(centre - width / 2) < width / 4,
                    "right": centre > width * 3 / 4}
        assert expected[place], f"the bell is not at the {place}: {bell}"
        page.locator(".liveui-bell").click()
        assert_on_screen(page)
        if width == 1280 and place == "right":  # unchanged where it already fitted
            panel = box(page, ".liveui-panel")
            dropdown = box(page, ".liveui-dropdown")
            assert panel["x"] + panel["width"] == pytest.approx(dropdown["x"] + dropdown["width"])
    finally:
        page.context.close()


def test_panel_follows_a_resize_while_open(browser: Browser, site: LiveServer) -> None:
    page = open_page(browser, site, 1280, "middle")
    try:
        page.locator(".liveui-bell").click()
        assert_on_screen(page)
        page.set_viewport_size({"width": 375, "height": 800})
        page.wait_for_function("document.documentElement.clientWidth === 375")
        page.evaluate("new Promise(r => requestAnimationFrame(() => r()))")
        assert_on_screen(page)
    finally:
        page.context.close()


def test_the_bell_follows_the_text_colour_of_a_dark_header(
    browser: Browser, site: LiveServer
) -> None:
    page = open_page(browser, site, 1280, "right")
    page.add_style_tag(content="header { background: #111; color: rgb(240, 240, 240); }")
    colours = page.evaluate(
        """() => ({
          bell: getComputedStyle(document.querySelector('.liveui-bell')).color,
          panel: getComputedStyle(document.querySelector('.liveui-panel')).color,
          fg: getComputedStyle(document.documentElement).getPropertyValue('--liveui-fg').trim(),
        })"""
    )
    page.context.close()
    assert colours["bell"] == "rgb(240, 240, 240)", colours
    assert colours["panel"] == "rgb(31, 35, 40)" and colours["fg"] == "#1f2328", colours
