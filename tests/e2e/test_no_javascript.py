"""The demo works with JavaScript off: server-rendered values on every page, forms that post
and redirect. Live updates are the progressive enhancement on top."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.login_form import log_in_through_the_form
from tests.e2e.walkthrough_server import DemoServer

pytestmark = pytest.mark.e2e


def test_pages_and_actions_without_javascript(browser: Browser, demo: DemoServer) -> None:
    context = browser.new_context(base_url=demo.url, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in_through_the_form(page, demo.url, "alice")
        alice = demo.user_id("alice")
        (pending,) = demo.query(
            "SELECT count(*) FROM orders WHERE user_id = ? AND status = 'pending'", alice
        )[0]
        (unread,) = demo.query(
            "SELECT count(*) FROM liveui_notifications WHERE user_id = ? AND NOT read", alice
        )[0]
        # First paint carries the real values: no JavaScript, no empty badges.
        expect(page.locator('.stat [data-counter="pending_orders"]')).to_have_text(str(pending))
        expect(page.locator('.stat [data-counter="unread_notifications"]')).to_have_text(
            str(unread)
        )
        page.goto("/orders")
        page.get_by_role("button", name="Place order").click()
        expect(page).to_have_url(demo.url + "/orders")
        expect(page.get_by_role("status")).to_contain_text("placed")
        expect(page.locator('main [data-counter="pending_orders"]')).to_have_text(str(pending + 1))
        # The live table's rows are server-rendered too, and their buttons post without
        # JavaScript (through the page's form that carries the CSRF token).
        newest = page.locator("tr[data-order-id]").first
        order_id = newest.get_attribute("data-order-id")
        expect(newest).to_have_attribute("data-status", "pending")
        newest.get_by_role("button", name="Cancel").click()
        expect(page).to_have_url(demo.url + "/orders")
        expect(page.get_by_role("status")).to_contain_text(f"Order #{order_id} cancelled")
        expect(page.locator(f'tr[data-order-id="{order_id}"]')).to_have_attribute(
            "data-status", "cancelled")
        assert demo.query("SELECT status FROM orders WHERE id = ?", order_id) == [("cancelled",)]
        # The same post again (a double submit, a stale page) is refused clearly.
        csrf = page.locator('#row-actions input[name="csrf_token"]').get_attribute("value")
        assert csrf
        again = page.request.post(f"/orders/{order_id}/cancel", form={"csrf_token": csrf},
                                  max_redirects=0)
        assert again.status == 303
        page.goto("/orders")
        expect(page.get_by_role("status")).to_contain_text("already cancelled")
        page.goto("/cart")
        page.get_by_role("button", name="Add item").click()
        item = page.locator("li[data-cart-item-id]").last
        item_id = item.get_attribute("data-cart-item-id")
        item.get_by_role("button", name="Remove").click()
        expect(page.get_by_role("status")).to_contain_text("Item removed")
        expect(page.locator(f'li[data-cart-item-id="{item_id}"]')).to_have_count(0)
    finally:
        context.close()
