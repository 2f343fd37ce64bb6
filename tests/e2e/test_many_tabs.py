"""Many tabs of one browser profile, against the demo on its defaults (the WebSocket transport).

A browser opens at most six HTTP/1.1 connections per host; a live transport that holds one per
tab would freeze the seventh tab and every request behind it. With 8 and 30 tabs of one user in
one Chromium context: every new tab loads within 2 s, every live action answers within 1 s, and
a change made in any tab, or by another user, reaches every tab within 2 s (badges and table
equal to the database). Then: logging out ends every tab of that login and no other login, and a
browser whose WebSocket upgrades are refused falls back to SSE and stays live.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from tests.e2e.login_form import logged_in_context
from tests.e2e.walkthrough_server import DemoServer

pytestmark = pytest.mark.e2e

NEW_TAB = 2.0  # seconds: a new tab's page load
ACTION = 1.0  # seconds: a live action's answer
REACH = 2.0  # seconds: a change reaching every tab
PAGE = "/orders"  # four nav badges, the bell and its dropdown, a live table of 20 rows


def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout}s for {what}")
        time.sleep(0.02)


def live_open(page: Page) -> bool:
    return bool(page.evaluate(
        """() => { const l = window.liveui;
                   const c = l && (l.config.transport === 'ws' ? l.socket : l.source);
                   return !!c && c.readyState === 1; }"""
    ))


def open_tab(context: BrowserContext, path: str = PAGE) -> Page:
    """A new tab on `path`: loaded within NEW_TAB, then live."""
    page = context.new_page()
    page.goto(path, timeout=NEW_TAB * 1000)
    until(lambda: live_open(page), 10, "a new tab's live connection to open")
    page.evaluate("window.__sameDocument = true")  # gone if anything reloads the page
    return page


def shown(page: Page) -> tuple[str, list[tuple[str, str]]]:
    """The tab's pending-orders badge and its table's (id, status) rows, in one look."""
    badge, rows = page.evaluate(
        """() => [
          document.querySelector('#liveui-badge-pending_orders').textContent.trim(),
          [...document.querySelectorAll('tr[data-order-id]')]
            .map(r => [r.dataset.orderId, r.dataset.status])]"""
    )
    return str(badge), [(str(i), str(s)) for i, s in rows]


def in_database(demo: DemoServer, user_id: int) -> tuple[str, list[tuple[str, str]]]:
    pending = demo.query(
        "SELECT count(*) FROM orders WHERE user_id = ? AND status = 'pending'", user_id
    )[0][0]
    rows = demo.query(
        "SELECT id, status FROM orders WHERE user_id = ? ORDER BY id DESC LIMIT 20", user_id
    )
    return str(pending), [(str(i), str(s)) for i, s in rows]


def every_tab_equals_database(tabs: list[Page], demo: DemoServer, user_id: int) -> None:
    def equal() -> bool:
        truth = in_database(demo, user_id)
        return all(shown(tab) == truth for tab in tabs)

    until(equal, REACH, f"{len(tabs)} tabs to show what the database holds")
    assert all(tab.evaluate("window.__sameDocument === true") for tab in tabs)


def act(page: Page, button: str) -> None:
    """Press a live action's button; its answer must come within ACTION."""
    with page.expect_response(lambda r: "/liveui/event" in r.url, timeout=ACTION * 1000) as r:
        page.get_by_role("button", name=button).first.click()
    assert r.value.status == 200, r.value.status


@pytest.fixture
def alice(browser: Browser, demo: DemoServer) -> Iterator[BrowserContext]:
    context = logged_in_context(browser, demo.url, "alice")
    yield context
    context.close()


@pytest.fixture
def admin(browser: Browser, demo: DemoServer) -> Iterator[BrowserContext]:
    context = logged_in_context(browser, demo.url, "admin")
    yield context
    context.close()


@pytest.mark.parametrize("count", [8, 30])
def test_every_tab_of_one_browser_stays_live(
    demo: DemoServer, alice: BrowserContext, admin: BrowserContext, count: int
) -> None:
    user_id = demo.user_id("alice")
    tabs = [open_tab(alice) for _ in range(count)]
    for placing in (tabs[0], tabs[count // 2], tabs[-1]):
        act(placing, "Place order")
        every_tab_equals_database(tabs, demo, user_id)
    # Another user's change: the admin completes one of alice's pending orders.
    order_id = demo.query(
        "SELECT max(id) FROM orders WHERE user_id = ? AND status = 'pending'", user_id
    )[0][0]
    admin_page = open_tab(admin, "/admin")  # live before it acts, as alice's tabs are
    row = admin_page.locator(f'tr[data-order-id="{order_id}"]')
    with admin_page.expect_response(lambda r: "/liveui/event" in r.url, timeout=ACTION * 1000):
        row.get_by_role("button", name="Complete").click()
    every_tab_equals_database(tabs, demo, user_id)
    # One more tab still loads in time, and a cancel in it reaches the others.
    tabs.append(open_tab(alice))
    act(tabs[-1], "Cancel")
    every_tab_equals_database(tabs, demo, user_id)


def test_logging_out_ends_every_tab_of_that_login_only(
    browser: Browser, demo: DemoServer, alice: BrowserContext
) -> None:
    user_id = demo.user_id("alice")
    tabs = [open_tab(alice) for _ in range(8)]
    other_login = logged_in_context(browser, demo.url, "alice")
    try:
        phone = open_tab(other_login)
        tabs[3].get_by_role("button", name="Log out").click()
        expect(tabs[3]).to_have_url(demo.url + "/login")
        rest = tabs[:3] + tabs[4:]
        until(lambda: not any(live_open(tab) for tab in rest), REACH, "every tab to end")
        assert live_open(phone)
        act(phone, "Place order")
        every_tab_equals_database([phone], demo, user_id)
    finally:
        other_login.close()


def test_a_browser_whose_websocket_is_refused_falls_back_to_sse(
    demo: DemoServer, alice: BrowserContext
) -> None:
    """As behind a proxy that refuses upgrades: the page's WebSocket URL answers no handshake."""

    def ws_url_refused(route: Route) -> None:
        response = route.fetch()
        body = response.text().replace('data-ws-url="/liveui/ws"', 'data-ws-url="/no-upgrades"')
        assert "/no-upgrades" in body
        route.fulfill(response=response, body=body)

    alice.route(f"**{PAGE}", ws_url_refused)
    page = alice.new_page()
    page.goto(PAGE)
    until(lambda: page.evaluate("window.liveui.config.transport") == "sse", 15,
          "the page to fall back to SSE")
    until(lambda: live_open(page), 10, "the SSE stream to open")
    page.evaluate("window.__sameDocument = true")
    act(page, "Place order")
    every_tab_equals_database([page], demo, demo.user_id("alice"))
