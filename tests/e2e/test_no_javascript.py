"""The demo works with JavaScript off: server-rendered values on every page, forms that post
and redirect. Live updates are the progressive enhancement on top."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect
from walkthrough_server import DemoServer, running_demo

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with running_demo(tmp_path_factory.mktemp("demo-nojs")) as server:
        yield server


def test_pages_and_actions_without_javascript(browser: Browser, demo: DemoServer) -> None:
    context = browser.new_context(base_url=demo.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("demo")
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(demo.url + "/")
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
    finally:
        context.close()
