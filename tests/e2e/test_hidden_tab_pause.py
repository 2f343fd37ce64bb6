"""Hidden-tab pause in a real Chromium, over both transports: a tab hidden for `pause_after`
pauses its live session, the server renders nothing for it while the database changes, and
the tab shown again catches up with the database at once.

Playwright cannot hide a tab, so the page's `document.visibilityState` and `document.hidden`
are overridden and `visibilitychange` dispatched, which is all liveui.js listens to.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from liveui import LiveSettings
from liveui.live.session import LiveSession
from liveui.testing import serve
from tests.e2e.live_app import App, build_app, create_database

pytestmark = pytest.mark.e2e

PAUSE_AFTER = 0.3  # seconds hidden before the session pauses (30 by default)


@dataclass
class Site:
    url: str
    built: App

    def post(self, path: str, json: object = None) -> None:
        httpx.post(self.url + path, json=json, timeout=10).raise_for_status()

    def session_of(self, user_id: int) -> LiveSession:
        sessions = [s for s in self.built.live.registry.sessions.values() if s.user_id == user_id]
        assert len(sessions) == 1, sessions
        return sessions[0]


@pytest.fixture(params=["sse", "ws"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    db = tmp_path / "e2e.db"
    create_database(db)
    built = build_app(db, request.param, LiveSettings(pause_after=PAUSE_AFTER))
    with serve(built.app, timeout_graceful_shutdown=1) as server:
        yield Site(server.url, built)


def until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def set_visibility(page: Page, state: str) -> None:
    page.evaluate("""state => {
        for (const [name, value] of [['visibilityState', state], ['hidden', state !== 'visible']]) {
            Object.defineProperty(document, name, { configurable: true, get: () => value });
        }
        document.dispatchEvent(new Event('visibilitychange'));
    }""", state)


def test_a_hidden_tab_pauses_and_catches_up_with_the_database_when_shown(
    browser: Browser, site: Site
) -> None:
    context = browser.new_context(bypass_csp=True)  # page.evaluate, as in tests/conftest.py
    try:
        page = context.new_page()
        page.goto(f"{site.url}/login/1")
        page.wait_for_function("window.liveui && window.liveui.lastEventId() !== null")
        orders = page.locator("#liveui-badge-pending_orders")
        unread = page.locator("#liveui-notifications-count")
        expect(orders).to_have_text("0")
        registry = site.built.live.registry
        session = site.session_of(1)

        set_visibility(page, "hidden")
        until(lambda: registry.paused_count() == 1, "the server to report the session paused")
        assert session.paused
        seq = session.outbox.seq
        badge = session.components["liveui-badge-pending_orders"]
        site.post("/test/orders/1")
        site.post("/test/orders/1")
        site.post("/test/notify/1", {"title": "While hidden"})
        # The state follows the commits (cheap), but nothing is rendered or sent to the tab.
        until(lambda: badge.state.get("value") == 2, "the session to hear of both orders")
        assert session.outbox.seq == seq
        assert orders.inner_text() == "0"

        set_visibility(page, "visible")
        expect(orders).to_have_text("2")
        expect(unread).to_have_text("1")
        until(lambda: registry.paused_count() == 0, "the session to resume")
        site.post("/test/orders/1")  # live again as usual
        expect(orders).to_have_text("3")
    finally:
        context.close()


def test_a_tab_shown_again_before_pause_after_never_pauses(browser: Browser, site: Site) -> None:
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(f"{site.url}/login/1")
        page.wait_for_function("window.liveui && window.liveui.lastEventId() !== null")
        set_visibility(page, "hidden")
        set_visibility(page, "visible")
        page.wait_for_timeout(PAUSE_AFTER * 3 * 1000)  # past the pause that must not happen
        assert page.evaluate("window.liveui.paused()") is False
        assert site.built.live.registry.paused_count() == 0
    finally:
        context.close()
