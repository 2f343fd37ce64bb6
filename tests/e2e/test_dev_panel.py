"""The dev panel (`/admin/liveui` in the demo) in Chromium over both transports: it is a live
page itself — a broadcast caused elsewhere appears in its table without a reload, as do the
connected users — its Replay button sends a recorded broadcast again, and it is the admins'
only (the page, a forged live connection of the panel, a forged replay)."""

from __future__ import annotations

import base64
import json
import re
import time

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.e2e.login_form import BOTH_TRANSPORTS, logged_in_context
from tests.e2e.walkthrough_server import DemoServer
from tests.support.demo_http import logged_in_client, post_form

pytestmark = [pytest.mark.e2e, BOTH_TRANSPORTS]

LIVE = 5_000  # ms: the panel refreshes on the node's next tick (1 s) after a broadcast
LIVE_TOKEN = re.compile(r'data-token="([^"]+)"')


def open_panel(context: BrowserContext) -> Page:
    page = context.new_page()
    page.goto("/admin/liveui")
    page.wait_for_function("window.liveui && window.liveui.lastEventId() !== null")
    page.evaluate("window.__notReloaded = true")
    return page


def place_order(demo: DemoServer, username: str) -> None:
    """Over HTTP, as another person in another browser would."""
    with logged_in_client(demo.url, username) as client:
        placed = post_form(client, "/orders/place", page="/orders")
        assert placed.status_code in (200, 303)


def wait_until_settled(page: Page, rows: Locator, quiet: float = 1.5, timeout: float = 20) -> int:
    """Wait until the recorded broadcasts stop changing for `quiet` seconds (an order's
    recounts, notification and activity arrive over a moment); returns their count."""
    deadline = time.monotonic() + timeout
    count, since = rows.count(), time.monotonic()
    while time.monotonic() - since < quiet:
        assert time.monotonic() < deadline, "the panel never settled"
        page.wait_for_timeout(250)
        now = rows.count()
        if now != count:
            count, since = now, time.monotonic()
    return count


def test_the_panel_follows_broadcasts_and_users_live_and_replays_one(
    browser: Browser, demo: DemoServer
) -> None:
    admin = logged_in_context(browser, demo.url, "admin")
    try:
        panel = open_panel(admin)
        users = panel.locator("[data-dev-user]")
        before = users.count()
        carol = logged_in_context(browser, demo.url, "carol")
        # Her live dashboard stays open until the panel has shown her: logged_in_context closes
        # the page it logged in with, which may be before its live stream ever connected.
        carol_dashboard = carol.new_page()
        carol_dashboard.goto("/")
        carol_dashboard.wait_for_function("window.liveui && window.liveui.lastEventId() !== null")
        expect(users).to_have_count(before + 1, timeout=LIVE)  # without a reload
        carol.close()

        dashboard = admin.new_page()  # a live page that bob's order changes (its badges)
        dashboard.goto("/admin")
        dashboard.wait_for_function("window.liveui && window.liveui.lastEventId() !== null")
        place_order(demo, "bob")
        counted = panel.locator('[data-dev-broadcast][data-event="counter_updated"]')
        expect(counted.first).to_be_visible(timeout=LIVE)
        first = counted.first
        topic = first.get_attribute("data-topic")
        seq = int(first.get_attribute("data-dev-broadcast") or 0)
        assert topic and topic.startswith("user:")
        patches = panel.locator("[data-dev-patch]")
        expect(patches).not_to_have_count(0, timeout=LIVE)  # the dashboard was re-rendered

        rows = panel.locator("[data-dev-broadcast]")
        settled = wait_until_settled(panel, rows)
        same = panel.locator(f'[data-dev-broadcast][data-topic="{topic}"]'
                             '[data-event="counter_updated"]')
        before = same.count()
        assert before >= 1 and settled < 50  # the panel keeps 50: a new row would still show
        same.first.get_by_role("button", name="Replay").click()
        expect(same).to_have_count(before + 1, timeout=LIVE)
        assert int(same.first.get_attribute("data-dev-broadcast") or 0) > seq
        assert panel.evaluate("window.__notReloaded === true")
    finally:
        admin.close()


def test_the_panel_is_for_admins_only(browser: Browser, demo: DemoServer) -> None:
    assert httpx.get(demo.url + "/admin/liveui", timeout=10).status_code == 403
    alice = logged_in_context(browser, demo.url, "alice")
    try:
        answer = alice.new_page().goto("/admin/liveui")
        assert answer is not None and answer.status == 403
    finally:
        alice.close()
    with logged_in_client(demo.url, "alice") as client:
        token = LIVE_TOKEN.search(client.get("/orders").text)  # a page not connected yet
        assert token
        spec = {"c": "liveui_dev_panel", "p": {}}
        encoded = base64.urlsafe_b64encode(json.dumps([spec]).encode()).decode().rstrip("=")
        # A forged live connection asking for the panel is refused on the server...
        refused = client.get("/liveui/sse", params={"token": token.group(1), "c": encoded})
        assert refused.status_code == 403, refused.text
        # ...and so is a forged replay from a page that does not have the panel.
        forged = client.post("/liveui/event", headers={"X-LiveUI-Token": token.group(1)}, data={
            "component": "liveui-dev-panel", "spec": json.dumps(spec), "event": "replay",
            "seq": "1",
        })
        assert forged.status_code in (403, 404), forged.text
