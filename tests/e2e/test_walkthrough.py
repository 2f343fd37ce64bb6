"""The README walkthrough, step by step, in Chromium against the real demo (`python -m demo`).

Two people: alice (two tabs of one browser, plus a second browser for the SPA step) and admin.
Everything is asserted through the markup contract (`data-counter`, `data-notification-id`,
`data-unread`) and the buttons' names, over both live transports. One server per transport is
shared by the steps; each step measures the values it starts from, so it can also run alone.
The restart step stops the server and so runs last.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, ViewportSize, expect

from tests.e2e.login_form import BOTH_TRANSPORTS, logged_in_context
from tests.e2e.walkthrough_server import DemoServer

pytestmark = [pytest.mark.e2e, BOTH_TRANSPORTS]

WINDOW: ViewportSize = {"width": 1280, "height": 800}

RECONNECT_TIMEOUT = 20_000  # ms: the browser's reconnect back-off after a restart
USER_COUNTERS = ("pending_orders", "cart_items", "active_tickets", "unread_notifications")


@dataclass
class People:
    alice: BrowserContext
    admin: BrowserContext


@pytest.fixture(scope="module")
def people(browser: Browser, demo: DemoServer) -> Iterator[People]:
    alice = logged_in_context(browser, demo.url, "alice", viewport=WINDOW)
    admin = logged_in_context(browser, demo.url, "admin", viewport=WINDOW)
    yield People(alice, admin)
    alice.close()
    admin.close()


Opener = Callable[[BrowserContext, str], Page]


@pytest.fixture
def open_tab() -> Iterator[Opener]:
    """Open a page in a window and wait until its live connection delivered its first patch;
    the pages are closed after the step (their live sessions end with them)."""
    pages: list[Page] = []

    def opener(context: BrowserContext, path: str) -> Page:
        page = context.new_page()
        pages.append(page)
        page.goto(path)
        page.wait_for_function("window.liveui && window.liveui.lastEventId() !== null")
        page.evaluate("window.__notReloaded = true")
        return page

    yield opener
    for page in pages:
        page.close()


def counter(page: Page, name: str) -> Locator:
    return page.locator(f'[data-counter="{name}"]')


def value(page: Page, name: str) -> int:
    text = counter(page, name).first.text_content()
    assert text is not None and text.strip().isdigit(), f"{name} badge shows {text!r}"
    return int(text)


def expect_counter(page: Page, name: str, expected: int, timeout: float = 5_000) -> None:
    """Every element of the counter on the page (nav badge, card, bell) shows `expected`."""
    badges = counter(page, name)
    expect(badges.first).to_have_text(str(expected), timeout=timeout)
    expect(badges).to_have_text([str(expected)] * badges.count())


def not_reloaded(page: Page) -> bool:
    return page.evaluate("window.__notReloaded === true") is True


def place_order(page: Page) -> int:
    """Press "Place order" on /orders; returns the new order's id (the newest row)."""
    page.get_by_role("button", name="Place order").click()
    flash = page.locator(".flash").filter(has_text="placed")
    expect(flash).to_be_visible()
    match = re.search(r"Order #(\d+) placed", flash.inner_text())
    assert match, flash.inner_text()
    order_id = int(match.group(1))
    expect(page.locator("tr[data-order-id]").first).to_have_attribute(
        "data-order-id", str(order_id)
    )
    return order_id


def open_bell(page: Page) -> Locator:
    bell = page.get_by_role("button", name="Notifications", exact=True)
    if bell.get_attribute("aria-expanded") != "true":
        bell.click()
    expect(bell).to_have_attribute("aria-expanded", "true")
    return page.get_by_role("region", name="Notifications")


def test_alice_places_an_order_and_every_window_sees_it(
    demo: DemoServer, people: People, open_tab: Opener
) -> None:
    orders_tab = open_tab(people.alice, "/orders")
    dashboard_tab = open_tab(people.alice, "/")
    admin_tab = open_tab(people.admin, "/")
    pending = value(dashboard_tab, "pending_orders")
    all_pending = value(admin_tab, "admin_pending_orders")

    place_order(orders_tab)

    expect_counter(orders_tab, "pending_orders", pending + 1)
    expect_counter(dashboard_tab, "pending_orders", pending + 1)
    expect_counter(admin_tab, "admin_pending_orders", all_pending + 1)
    # The live activity lists (a live collection) show the new order on top, in both windows.
    for tab in (dashboard_tab, admin_tab):
        newest = tab.locator(".activity-list li").first
        expect(newest).to_contain_text("Alice Martin placed order #")
    assert not_reloaded(dashboard_tab) and not_reloaded(admin_tab)


def test_admin_completes_the_order_and_alices_bell_rings_in_both_tabs(
    demo: DemoServer, people: People, open_tab: Opener
) -> None:
    tabs = [open_tab(people.alice, "/orders"), open_tab(people.alice, "/")]
    admin_tab = open_tab(people.admin, "/admin")
    pending = value(tabs[1], "pending_orders")
    order_id = place_order(tabs[0])
    # Both tabs show the placement before the counts are taken: the dashboard tab's patch
    # may land after the orders tab's (it waits for nothing the orders tab shows).
    for tab in tabs:
        expect_counter(tab, "pending_orders", pending + 1)
    unread = value(tabs[1], "unread_notifications")

    row = admin_tab.locator(f'tr[data-order-id="{order_id}"]')  # arrived live, no reload
    expect(row).to_contain_text("alice")
    row.get_by_role("button", name="Complete").click()
    expect(admin_tab.locator(".flash")).to_contain_text(f"Order #{order_id} completed")
    expect(admin_tab.locator(f'tr[data-order-id="{order_id}"]')).to_have_count(0)

    # Alice's table follows too: the order is completed, its Cancel button gone.
    alice_row = tabs[0].locator(f'tr[data-order-id="{order_id}"]')
    expect(alice_row).to_have_attribute("data-status", "completed")
    expect(alice_row.get_by_role("button", name="Cancel")).to_have_count(0)
    assert not_reloaded(admin_tab) and not_reloaded(tabs[0])
    for tab in tabs:
        expect_counter(tab, "unread_notifications", unread + 1)
        expect_counter(tab, "pending_orders", pending)
        panel = open_bell(tab)
        newest = panel.locator("[data-notification-id]").first
        expect(newest).to_contain_text(f"Order #{order_id} completed")
        expect(newest).to_have_attribute("data-unread", "")
    assert not_reloaded(tabs[1])


def test_marking_read_in_one_tab_updates_the_other(
    demo: DemoServer, people: People, open_tab: Opener
) -> None:
    tab_a, tab_b = open_tab(people.alice, "/"), open_tab(people.alice, "/orders")
    unread = value(tab_a, "unread_notifications")
    assert unread > 0, "the seed gives alice unread notifications"
    panel = open_bell(tab_a)
    item = panel.locator("[data-notification-id][data-unread]").first
    notification_id = item.get_attribute("data-notification-id")
    assert notification_id

    item.get_by_role("button", name="Mark as read").click()

    for tab in (tab_a, tab_b):
        expect_counter(tab, "unread_notifications", unread - 1)
        same = tab.locator(f'[data-notification-id="{notification_id}"]')
        expect(same).not_to_have_attribute("data-unread", "")
        expect(same.get_by_role("button", name="Mark as read")).to_have_count(0)
    expect(panel).to_be_visible()  # the open dropdown stayed open
    assert not_reloaded(tab_a) and not_reloaded(tab_b)


def test_mark_all_as_read_in_one_tab_updates_the_other(
    demo: DemoServer, people: People, open_tab: Opener
) -> None:
    tab_a, tab_b = open_tab(people.alice, "/"), open_tab(people.alice, "/cart")
    assert value(tab_a, "unread_notifications") > 0, "the seed gives alice unread notifications"

    open_bell(tab_b).get_by_role("button", name="Mark all as read").click()

    for tab in (tab_a, tab_b):
        expect_counter(tab, "unread_notifications", 0)
        expect(tab.locator("[data-notification-id][data-unread]")).to_have_count(0)
        expect(tab.locator("[data-notification-id]").first).to_be_attached()
        # The bell's badge hides at zero.
        expect(tab.get_by_role("button", name="Notifications", exact=True).locator(
            '[data-counter="unread_notifications"]'
        )).to_be_hidden()
    assert not_reloaded(tab_a) and not_reloaded(tab_b)


def test_the_spa_shows_the_same_counters_and_follows_another_window(
    browser: Browser, demo: DemoServer, people: People, open_tab: Opener
) -> None:
    if not (Path(__file__).resolve().parents[2] / "demo/spa/dist/index.html").is_file():
        pytest.fail("the React app is not built: run `make setup`")
    dashboard = open_tab(people.alice, "/")
    spa = people.alice.new_page()
    try:
        spa.goto("/spa")
        expect(spa.locator("[data-connection]")).to_have_attribute("data-connection", "connected")
        for name in USER_COUNTERS:
            expect_counter(spa, name, value(dashboard, name))
        pending = value(dashboard, "pending_orders")

        # alice in another browser
        other_window = logged_in_context(browser, demo.url, "alice", viewport=WINDOW)
        try:
            place_order(open_tab(other_window, "/orders"))
        finally:
            other_window.close()

        expect_counter(spa, "pending_orders", pending + 1)
        expect_counter(dashboard, "pending_orders", pending + 1)
    finally:
        spa.close()


def test_an_open_page_catches_up_after_a_server_restart(
    demo: DemoServer, people: People, open_tab: Opener
) -> None:
    """Last step: stop the server, change the data while it is down, start it again."""
    alice_tab = open_tab(people.alice, "/")
    admin_tab = open_tab(people.admin, "/")
    pending = value(alice_tab, "pending_orders")
    all_pending = value(admin_tab, "admin_pending_orders")

    demo.stop()
    # Nothing can broadcast while the server is down: only the database knows.
    demo.query(
        "INSERT INTO orders (user_id, item, amount_cents, status, inserted_at)"
        " VALUES (?, 'Ordered while the server was down', 1000, 'pending', CURRENT_TIMESTAMP)",
        demo.user_id("alice"),
    )
    demo.start()

    expect_counter(alice_tab, "pending_orders", pending + 1, timeout=RECONNECT_TIMEOUT)
    expect_counter(admin_tab, "admin_pending_orders", all_pending + 1, timeout=RECONNECT_TIMEOUT)
    assert not_reloaded(alice_tab) and not_reloaded(admin_tab)
    # The reconnected page is live again, not just re-rendered once.
    orders_tab = open_tab(people.alice, "/orders")
    place_order(orders_tab)
    expect_counter(alice_tab, "pending_orders", pending + 2)
