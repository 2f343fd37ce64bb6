"""Every table of the demo is live, in Chromium over both transports: a change made in one
window appears — and a row that leaves disappears — in the others within two seconds, without
a reload; after a server restart the open tables catch up by themselves.

The markup contract: rows carry `data-order-id`, `data-cart-item-id`, `data-ticket-id`,
`data-reseller-request-id` and, where they have one, `data-status`; charts carry
`data-chart="<name>"`. One demo server per transport; the restart test stops it and so runs
last.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from liveui.live.fragment import Fragment, Op, render_ops
from tests.e2e.live_pages import not_reloaded, open_live
from tests.e2e.login_form import BOTH_TRANSPORTS, logged_in_context
from tests.e2e.walkthrough_server import DemoServer

pytestmark = [pytest.mark.e2e, BOTH_TRANSPORTS]

LIVE = 2_000  # ms: a change made elsewhere shows up within this
RECONNECT = 20_000  # ms: the browser's reconnect back-off after a restart


@pytest.fixture(scope="module")
def alice(browser: Browser, demo: DemoServer) -> Iterator[BrowserContext]:
    context = logged_in_context(browser, demo.url, "alice")
    yield context
    context.close()


@pytest.fixture(scope="module")
def admin(browser: Browser, demo: DemoServer) -> Iterator[BrowserContext]:
    context = logged_in_context(browser, demo.url, "admin")
    yield context
    context.close()




def flashed_id(page: Page, pattern: str) -> int:
    flash = page.locator(".flash").filter(has_text=re.compile(pattern))
    expect(flash).to_be_visible()
    match = re.search(pattern, flash.inner_text())
    assert match, flash.inner_text()
    return int(match.group(1))


def test_orders_follow_between_alice_admin_and_alices_two_tabs(
    demo: DemoServer, alice: BrowserContext, admin: BrowserContext
) -> None:
    tab_a, tab_b = open_live(alice, "/orders"), open_live(alice, "/orders")
    admin_page = open_live(admin, "/admin")
    chart = admin_page.locator('svg[data-chart="orders_per_minute"]')  # a live SVG chart
    charted = int(chart.get_attribute("data-total") or "-1")

    tab_a.get_by_role("button", name="Place order").click()
    order_id = flashed_id(tab_a, r"Order #(\d+) placed")
    expect(chart).to_have_attribute("data-total", str(charted + 1), timeout=LIVE)
    for page in (tab_a, tab_b):
        row = page.locator(f'tr[data-order-id="{order_id}"]')
        expect(row).to_have_attribute("data-status", "pending", timeout=LIVE)
        expect(page.locator("tr[data-order-id]").first).to_have_attribute(
            "data-order-id", str(order_id))  # newest first
    admin_row = admin_page.locator(f'tr[data-order-id="{order_id}"]')
    expect(admin_row).to_contain_text("alice", timeout=LIVE)

    admin_row.get_by_role("button", name="Complete").click()
    expect(admin_page.locator(".flash")).to_contain_text(f"Order #{order_id} completed")
    expect(admin_row).to_have_count(0, timeout=LIVE)
    for page in (tab_a, tab_b):
        row = page.locator(f'tr[data-order-id="{order_id}"]')
        expect(row).to_have_attribute("data-status", "completed", timeout=LIVE)
        expect(row.get_by_role("button", name="Cancel")).to_have_count(0)

    # Alice cancels another order in her second tab: it leaves admin's table.
    tab_b.get_by_role("button", name="Place order").click()
    second = flashed_id(tab_b, r"Order #(\d+) placed")
    expect(admin_page.locator(f'tr[data-order-id="{second}"]')).to_have_count(1, timeout=LIVE)
    tab_b.locator(f'tr[data-order-id="{second}"]').get_by_role("button", name="Cancel").click()
    expect(tab_a.locator(f'tr[data-order-id="{second}"]')).to_have_attribute(
        "data-status", "cancelled", timeout=LIVE)
    expect(admin_page.locator(f'tr[data-order-id="{second}"]')).to_have_count(0, timeout=LIVE)
    assert demo.query("SELECT status FROM orders WHERE id = ?", second) == [("cancelled",)]
    assert not_reloaded(tab_a, tab_b, admin_page)
    for page in (tab_a, tab_b, admin_page):
        page.close()


def test_cart_and_tickets_follow_between_two_tabs(alice: BrowserContext) -> None:
    cart_a, cart_b = open_live(alice, "/cart"), open_live(alice, "/cart")
    count = cart_b.locator("li[data-cart-item-id]").count()
    cart_a.get_by_role("button", name="Add item").click()
    expect(cart_b.locator("li[data-cart-item-id]")).to_have_count(count + 1, timeout=LIVE)
    newest = cart_b.locator("li[data-cart-item-id]").last  # oldest first: the new one is last
    item_id = newest.get_attribute("data-cart-item-id")
    newest.get_by_role("button", name="Remove").click()
    expect(cart_a.locator(f'li[data-cart-item-id="{item_id}"]')).to_have_count(0, timeout=LIVE)

    tickets_a, tickets_b = open_live(alice, "/tickets"), open_live(alice, "/tickets")
    tickets_a.locator("input[name=subject]").fill("Printer on fire")
    tickets_a.get_by_role("button", name="Open ticket").click()
    ticket_id = flashed_id(tickets_a, r"Ticket #(\d+) opened")
    row = tickets_b.locator(f'li[data-ticket-id="{ticket_id}"]')
    expect(row).to_have_attribute("data-status", "open", timeout=LIVE)
    row.get_by_role("button", name="Close").click()
    expect(tickets_a.locator(f'li[data-ticket-id="{ticket_id}"]')).to_have_attribute(
        "data-status", "closed", timeout=LIVE)
    assert not_reloaded(cart_a, cart_b, tickets_a, tickets_b)
    for page in (cart_a, cart_b, tickets_a, tickets_b):
        page.close()


def test_a_reseller_request_reaches_admin_and_approving_removes_it(
    browser: Browser, demo: DemoServer, admin: BrowserContext
) -> None:
    admin_page = open_live(admin, "/admin")
    carol = logged_in_context(browser, demo.url, "carol")
    try:
        page = carol.new_page()
        page.goto("/reseller")
        page.get_by_role("button", name="Request reseller access").click()
        expect(page.locator(".flash")).to_contain_text("Request sent")
    finally:
        carol.close()
    row = admin_page.locator("li[data-reseller-request-id]").filter(has_text="carol")
    expect(row).to_have_attribute("data-status", "pending", timeout=LIVE)
    request_id = row.get_attribute("data-reseller-request-id")
    row.get_by_role("button", name="Approve").click()
    expect(admin_page.locator(f'li[data-reseller-request-id="{request_id}"]')).to_have_count(
        0, timeout=LIVE)
    assert demo.query("SELECT status FROM reseller_requests WHERE id = ?", request_id) == [
        ("approved",)]
    assert not_reloaded(admin_page)
    admin_page.close()


def test_a_row_insert_that_reaches_the_page_twice_shows_the_row_once(
    alice: BrowserContext,
) -> None:
    """Inserts are idempotent in liveui.js (a replay racing the live stream must not show a row
    twice): the same insert patch applied twice, as the transports apply patches."""
    page = open_live(alice, "/orders")
    first = page.locator("tr[data-order-id]").first
    order_id = first.get_attribute("data-order-id")
    rows = page.locator(f'tr[data-order-id="{order_id}"]')
    expect(rows).to_have_count(1)
    page.evaluate("""(id) => {
      const row = document.querySelector(`tr[data-order-id="${id}"]`);
      const rowsId = row.parentElement.id;
      const patch = `<template><tbody hx-swap-oob="afterbegin:#${rowsId}">` +
                    row.outerHTML.replace('data-status=', 'data-again="1" data-status=') +
                    `</tbody></template>`;
      const sink = document.getElementById('liveui-connection');
      for (const _ of [1, 2]) htmx.swap(sink, patch, {swapStyle: 'none'}, {contextElement: sink});
    }""", order_id)
    expect(rows).to_have_count(1)
    expect(rows).to_have_attribute("data-again", "1")  # the inserted copy, not the old one
    assert not_reloaded(page)
    page.close()


def test_one_write_applies_its_operations_in_the_order_written(alice: BrowserContext) -> None:
    """Patches are joined into one write per loop turn: a row inserted and deleted in the same
    write must end deleted, and a row inserted then replaced must show the replacement (htmx
    applies top-level OOB elements before those in templates: the server wraps every op)."""
    page = open_live(alice, "/orders")
    first = page.locator("tr[data-order-id]").first
    rows_id = first.evaluate("row => row.parentElement.id")
    template = first.evaluate("row => row.outerHTML")
    row_id = first.get_attribute("id") or ""

    def row(suffix: str, status: str) -> Fragment:
        html = template.replace(f'id="{row_id}"', f'id="{row_id}-{suffix}"', 1)
        html = re.sub(r'data-status="[^"]*"', f'data-status="{status}"', html, count=1)
        return Fragment(f"{row_id}-{suffix}", html, container=rows_id, position="afterbegin")

    patch = render_ops([
        Op("insert", row("gone", "pending")),
        Op("insert", row("kept", "pending")),
        Op("replace", row("gone", "shipped")),
        Op("delete", row("gone", "")),
        Op("replace", row("kept", "shipped")),
    ])
    page.evaluate("""(patch) => {
      const sink = document.getElementById('liveui-connection');
      htmx.swap(sink, patch, {swapStyle: 'none'}, {contextElement: sink});
    }""", patch)
    expect(page.locator(f"#{row_id}-gone")).to_have_count(0)
    expect(page.locator(f"#{row_id}-kept")).to_have_attribute("data-status", "shipped")
    assert not_reloaded(page)
    page.close()


def test_open_tables_catch_up_after_a_server_restart(
    demo: DemoServer, alice: BrowserContext, admin: BrowserContext
) -> None:
    """Last: stop the server, change the data while it is down, start it again."""
    orders = open_live(alice, "/orders")
    admin_page = open_live(admin, "/admin")
    alice_id = demo.user_id("alice")
    pending = demo.query(
        "SELECT id FROM orders WHERE user_id = ? AND status = 'pending' ORDER BY id", alice_id)
    assert pending, "the seed and the steps above leave alice a pending order"
    cancelled = int(str(pending[0][0]))
    expect(admin_page.locator(f'tr[data-order-id="{cancelled}"]')).to_have_count(1)

    demo.stop()
    demo.query("UPDATE orders SET status = 'cancelled' WHERE id = ?", cancelled)
    demo.query(
        "INSERT INTO orders (user_id, item, amount_cents, status, inserted_at)"
        " VALUES (?, 'Ordered while the server was down', 1000, 'pending', CURRENT_TIMESTAMP)",
        alice_id,
    )
    added = int(str(demo.query("SELECT max(id) FROM orders")[0][0]))
    demo.start()

    expect(orders.locator(f'tr[data-order-id="{added}"]')).to_have_attribute(
        "data-status", "pending", timeout=RECONNECT)
    expect(orders.locator(f'tr[data-order-id="{cancelled}"]')).to_have_attribute(
        "data-status", "cancelled", timeout=RECONNECT)
    expect(admin_page.locator(f'tr[data-order-id="{added}"]')).to_contain_text(
        "alice", timeout=RECONNECT)
    expect(admin_page.locator(f'tr[data-order-id="{cancelled}"]')).to_have_count(
        0, timeout=RECONNECT)
    assert not_reloaded(orders, admin_page)
    # Live again after the restart, not just re-rendered once.
    orders.get_by_role("button", name="Place order").click()
    newest = flashed_id(orders, r"Order #(\d+) placed")
    expect(admin_page.locator(f'tr[data-order-id="{newest}"]')).to_have_count(1, timeout=LIVE)
