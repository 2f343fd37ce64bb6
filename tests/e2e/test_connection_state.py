"""The page says when it is not live, over both live transports, in Chromium against the demo:
"Reconnecting…" while the server is away and gone once it is back; "Live updates stopped" with a
Reload button when the server refuses the page for good (a restart with another secret, as the
quick start's per-process random secret does). The state is also a class on <html>."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from demo.process import DemoProcess
from tests.e2e.login_form import logged_in_context
from tests.e2e.walkthrough_server import DemoServer, running_demo

pytestmark = pytest.mark.e2e

STATE_CLASSES = ("liveui-connected", "liveui-reconnecting", "liveui-stopped")
GIVE_UP = 30_000  # ms: a few failed attempts with the extensions' back-off, then the question


@pytest.fixture(params=["ws", "sse"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DemoServer]:
    with running_demo(tmp_path, request.param) as demo:
        yield demo


@pytest.fixture
def tab(browser: Browser, server: DemoServer) -> Iterator[Page]:
    context: BrowserContext = logged_in_context(browser, server.url, "alice")
    page = context.new_page()
    page.goto("/orders")
    expect(page.locator("html")).to_have_class("liveui-connected")
    page.evaluate("window.__sameDocument = true")
    yield page
    context.close()


def state(page: Page) -> list[str]:
    classes = str(page.evaluate("document.documentElement.className")).split()
    return [c for c in classes if c in STATE_CLASSES]


def test_reconnecting_while_the_server_is_away_then_live_again(
    server: DemoServer, tab: Page
) -> None:
    banner = tab.locator("#liveui-status")
    expect(banner).to_be_hidden()
    server.stop()
    expect(tab.locator("html")).to_have_class("liveui-reconnecting", timeout=10_000)
    expect(banner).to_be_visible()
    expect(banner).to_have_text("Reconnecting…")
    expect(banner).to_have_attribute("role", "status")
    server.start()
    expect(tab.locator("html")).to_have_class("liveui-connected", timeout=GIVE_UP)
    expect(banner).to_be_hidden()
    assert state(tab) == ["liveui-connected"]
    # Live again: a change made now reaches the tab without a reload (alice's seeded pending
    # order is on the badge already: the new count is one more than the database had).
    pending = "SELECT count(*) FROM orders WHERE user_id = ? AND status = 'pending'"
    before = int(str(server.query(pending, server.user_id("alice"))[0][0]))
    badge = tab.locator("#liveui-badge-pending_orders")
    expect(badge).to_have_text(str(before))
    tab.get_by_role("button", name="Place order").click()
    expect(badge).to_have_text(str(before + 1))
    assert tab.evaluate("window.__sameDocument === true")


def test_refused_for_good_says_stopped_and_offers_a_reload(server: DemoServer, tab: Page) -> None:
    server.stop()
    other = DemoProcess(server.data_dir, secret_key="another-secret-key-of-32-characters-x",
                        transport=tab.evaluate("window.liveui.config.transport"),
                        port=server.port, name="restarted")
    other.start()
    try:
        expect(tab.locator("html")).to_have_class("liveui-stopped", timeout=GIVE_UP)
        banner = tab.locator("#liveui-status")
        expect(banner).to_contain_text("Live updates stopped")
        assert state(tab) == ["liveui-stopped"]
        assert tab.evaluate("window.liveui.stopped()") is True
        reload = banner.get_by_role("button", name="Reload")
        reload.click()
        # The old login does not survive the new secret either: the reload lands on the login.
        expect(tab).to_have_url(f"{server.url}/login?next=/orders", timeout=10_000)
    finally:
        other.stop()
        server.start()  # the fixture stops what it started
