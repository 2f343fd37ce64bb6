"""Logout in a real Chromium against the real demo, under its real Content-Security-Policy:
logging out in one browser ends that window's live stream and its /socket connection within
2 s while a second login of the same user stays connected; an admin's "Log out everywhere"
ends both. Runs over both live transports (SSE and WebSocket)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.login_form import BOTH_TRANSPORTS, log_in_through_the_form
from tests.e2e.walkthrough_server import DemoServer

pytestmark = [pytest.mark.e2e, BOTH_TRANSPORTS]

DEADLINE = 2.0  # seconds


def chat_window(browser: Browser, demo: DemoServer, username: str) -> tuple[BrowserContext, Page]:
    """A logged-in window on /chat (a live page and a phoenix.js socket), no CSP bypass."""
    context = browser.new_context(base_url=demo.url)
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security" in m.text else None,
    )
    log_in_through_the_form(page, demo.url, username, "/chat")
    expect(page.locator("#chat-status")).to_have_attribute("data-state", "open")
    until(lambda: live_state(page) == "open", 10, "the live connection to open")
    assert violations == [], violations
    return context, page


def live_state(page: Page) -> str:
    """The live connection as the browser sees it (page.evaluate goes through the DevTools
    protocol, which the page's CSP does not govern)."""
    return str(
        page.evaluate(
            """() => {
              const l = window.liveui;
              const c = l && (l.config.transport === 'ws' ? l.socket : l.source);
              if (!c) return 'none';
              return c.readyState === 1 ? 'open' : (c.readyState === 0 ? 'connecting' : 'closed');
            }"""
        )
    )


def until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"waited {timeout}s for {what}")
        time.sleep(0.02)
    return time.monotonic() - started


def socket_closed(page: Page) -> bool:
    return page.locator("#chat-status").get_attribute("data-state") != "open"


def test_logout_ends_this_window_only_and_log_out_everywhere_ends_both(
    browser: Browser, demo: DemoServer
) -> None:
    laptop_ctx, laptop = chat_window(browser, demo, "alice")
    phone_ctx, phone = chat_window(browser, demo, "alice")
    try:
        # Log out from a second tab of the laptop's browser: the /chat tab is the one watched.
        other_tab = laptop_ctx.new_page()
        other_tab.goto("/")
        started = time.monotonic()
        other_tab.get_by_role("button", name="Log out").click()
        expect(other_tab).to_have_url(demo.url + "/login")
        until(lambda: live_state(laptop) != "open", DEADLINE, "the laptop's live stream to end")
        until(lambda: socket_closed(laptop), DEADLINE, "the laptop's /socket to close")
        assert time.monotonic() - started < DEADLINE + 1.0  # includes the logout request itself
        # The phone, same user, other login: still connected, still live.
        time.sleep(0.3)
        assert live_state(phone) == "open" and not socket_closed(phone)
        # The laptop's live stream does not come back (its token is refused).
        time.sleep(1.5)
        assert live_state(laptop) != "open"

        admin_ctx = browser.new_context(base_url=demo.url)
        admin = admin_ctx.new_page()
        log_in_through_the_form(admin, demo.url, "admin", "/admin")
        admin.get_by_role("button", name="Log alice out everywhere").click()
        until(lambda: live_state(phone) != "open", DEADLINE, "the phone's live stream to end")
        until(lambda: socket_closed(phone), DEADLINE, "the phone's /socket to close")
        phone.goto("/orders")
        expect(phone).to_have_url(demo.url + "/login?next=/orders")
        admin_ctx.close()
    finally:
        laptop_ctx.close()
        phone_ctx.close()
