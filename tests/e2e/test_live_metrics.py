"""The demo's KPI tiles in Chromium over both transports: `my_spent` on /orders, `revenue` and
`avg_order` on /admin move within two seconds of a commit made in another window, and always
show what SQL computes from the orders table. /admin/orders also charts revenue over time: the
completed orders' amounts summed per minute, equal to SQL's sum over the chart's window, every
point titled in dollars.

The markup contract: KPI values carry `data-metric="<name>"` and their text contains the number
in dollars and cents (`$1,234.50`). (The average of no completed order, `$0.00`, is covered by
tests/live/test_metric.py: the demo's seed always has a completed order.)
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.live_pages import open_live
from tests.e2e.login_form import BOTH_TRANSPORTS, logged_in_context
from tests.e2e.walkthrough_server import DemoServer

pytestmark = [pytest.mark.e2e, BOTH_TRANSPORTS]

LIVE = 2_000  # ms: a commit made elsewhere shows up within this


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



def dollars(cents: Decimal) -> str:
    return f"${(cents / 100).quantize(Decimal('0.01'), ROUND_HALF_EVEN):,.2f}"


def sql_tiles(demo: DemoServer) -> dict[str, str]:
    """What each tile must show, computed by SQL from the orders table (integers: exact)."""
    alice = demo.user_id("alice")
    [(mine,)] = demo.query(
        "SELECT COALESCE(SUM(amount_cents), 0) FROM orders WHERE status = 'completed' "
        "AND user_id = ?", alice)
    [(total, count)] = demo.query(
        "SELECT COALESCE(SUM(amount_cents), 0), COUNT(*) FROM orders WHERE status = 'completed'")
    average = Decimal(total) / count if count else Decimal(0)
    return {"my_spent": dollars(Decimal(mine)), "revenue": dollars(Decimal(total)),
            "avg_order": dollars(average)}


def revenue_in_chart_window(demo: DemoServer) -> int:
    """Cents of completed orders placed in the revenue chart's window (30 one-minute buckets,
    the newest holding now), as SQL sums them."""
    start = (int(time.time()) // 60 - 29) * 60
    since = datetime.fromtimestamp(start, UTC).replace(tzinfo=None).isoformat(sep=" ")
    [(cents,)] = demo.query(
        "SELECT COALESCE(SUM(amount_cents), 0) FROM orders WHERE status = 'completed' "
        "AND inserted_at >= ?", since)
    return int(cents)


def until(condition: Callable[[], bool], timeout_ms: int, what: str) -> None:
    deadline = time.monotonic() + timeout_ms / 1000
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout_ms} ms for {what}")
        time.sleep(0.05)


def place_order(demo: DemoServer, page: Page) -> int:
    """Place an order in `page`; its id once the page says it was placed (the flash of the
    previous order may still be showing, so the id is known first)."""
    [(last,)] = demo.query("SELECT COALESCE(MAX(id), 0) FROM orders")
    page.get_by_role("button", name="Place order").click()
    expect(page.locator(".flash")).to_contain_text(f"Order #{last + 1} placed")
    return int(last) + 1


def test_tiles_follow_completed_and_cancelled_orders(
    demo: DemoServer, alice: BrowserContext, admin: BrowserContext
) -> None:
    orders = open_live(alice, "/orders")
    # The admin completes orders on /admin; /admin/orders shows the same tiles in another tab.
    desk, watcher = open_live(admin, "/admin"), open_live(admin, "/admin/orders")
    expected = sql_tiles(demo)
    expect(orders.locator('[data-metric="my_spent"]')).to_have_text(expected["my_spent"])
    for page in (desk, watcher):
        expect(page.locator('[data-metric="revenue"]')).to_have_text(expected["revenue"])
        expect(page.locator('[data-metric="avg_order"]')).to_have_text(expected["avg_order"])

    for round_ in range(2):  # two completions: the average moves with the second as well
        order_id = place_order(demo, orders)
        row = desk.locator(f'tr[data-order-id="{order_id}"]')
        expect(row).to_have_count(1, timeout=LIVE)
        row.get_by_role("button", name="Complete").click()
        expect(desk.locator(".flash")).to_contain_text(f"Order #{order_id} completed")
        moved = sql_tiles(demo)
        assert moved["my_spent"] != expected["my_spent"], (round_, moved)
        # Alice's window (another browser context) and the admin's other tab move by themselves.
        expect(orders.locator('[data-metric="my_spent"]')).to_have_text(moved["my_spent"],
                                                                         timeout=LIVE)
        for page in (desk, watcher):
            expect(page.locator('[data-metric="revenue"]')).to_have_text(moved["revenue"],
                                                                         timeout=LIVE)
            expect(page.locator('[data-metric="avg_order"]')).to_have_text(moved["avg_order"],
                                                                           timeout=LIVE)
        expected = moved

    # The revenue chart (a sum per bucket, not a count) follows the completions too.
    chart = watcher.locator('[data-chart="revenue_over_time"] svg')
    until(lambda: chart.get_attribute("data-total") == str(revenue_in_chart_window(demo)),
          LIVE, "the revenue chart to equal SQL's sum")
    titles = chart.locator("title").all_text_contents()
    assert titles and all(re.search(r": \$[\d,]+\.\d\d$", t) for t in titles), titles

    # A cancelled order is not revenue: the tiles keep SQL's values, and the cancel's recount
    # (it was a commit on a watched row) does not disturb them.
    cancelled = place_order(demo, orders)
    orders.locator(f'tr[data-order-id="{cancelled}"]').get_by_role("button",
                                                                  name="Cancel").click()
    expect(orders.locator(f'tr[data-order-id="{cancelled}"]')).to_have_attribute(
        "data-status", "cancelled", timeout=LIVE)
    assert sql_tiles(demo) == expected
    expect(orders.locator('[data-metric="my_spent"]')).to_have_text(expected["my_spent"])
    expect(watcher.locator('[data-metric="revenue"]')).to_have_text(expected["revenue"])
    assert re.fullmatch(r"\$[\d,]+\.\d\d", orders.locator('[data-metric="my_spent"]').inner_text())
    assert all(page.evaluate("window.__notReloaded === true")
               for page in (orders, desk, watcher))
    for page in (orders, desk, watcher):
        page.close()

