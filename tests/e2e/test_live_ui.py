"""The live UI in a real Chromium over a real uvicorn, on both transports (SSE and WebSocket)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from liveui.testing import serve
from tests.e2e.live_app import build_app, create_database

pytestmark = pytest.mark.e2e

XSS = "<img src=x onerror=alert(1)>"


@dataclass
class Site:
    url: str
    transport: str

    def post(self, path: str, json: object = None) -> httpx.Response:
        response = httpx.post(self.url + path, json=json, timeout=10)
        response.raise_for_status()
        return response


@pytest.fixture(params=["sse", "ws"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    db = tmp_path / "e2e.db"
    create_database(db)
    built = build_app(db, request.param)
    with serve(built.app, timeout_graceful_shutdown=1) as server:
        yield Site(server.url, request.param)


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def open_tab(browser_or_context: Browser | BrowserContext, site: Site, user: int,
             contexts: list[BrowserContext]) -> Page:
    """Log `user` in (a new browser context unless one is given) and wait until live."""
    if isinstance(browser_or_context, Browser):
        context = browser_or_context.new_context()
        contexts.append(context)
    else:
        context = browser_or_context
    page = context.new_page()
    page.goto(f"{site.url}/login/{user}")
    page.wait_for_function("window.liveui && window.liveui.lastEventId() !== null", timeout=10_000)
    return page


def badge(page: Page, name: str) -> object:
    return page.locator(f'[data-counter="{name}"]').first


def test_badge_updates_after_a_write_in_another_session(
    browser: Browser, site: Site, contexts: list[BrowserContext]
) -> None:
    page = open_tab(browser, site, 1, contexts)
    orders = page.locator('#liveui-badge-pending_orders')
    expect(orders).to_have_text("0")
    site.post("/test/orders/1")
    expect(orders).to_have_text("1")
    site.post("/test/orders/1")
    expect(orders).to_have_text("2")


def test_dropdown_receives_a_new_notification_without_disturbing_the_user(
    browser: Browser, site: Site, contexts: list[BrowserContext]
) -> None:
    page = open_tab(browser, site, 1, contexts)
    draft = page.locator("#draft")
    draft.click()
    draft.type("half-typed")
    site.post("/test/notify/1", {"title": "Order shipped", "message": "Your order left",
                                 "action_url": "/orders/7", "action_label": "View"})
    expect(page.locator("#liveui-notifications-count")).to_have_text("1")
    # The patch changed neither the focus nor the half-typed text.
    expect(draft).to_be_focused()
    expect(draft).to_have_value("half-typed")
    bell = page.get_by_role("button", name="Notifications", exact=True)
    bell.click()
    expect(bell).to_have_attribute("aria-expanded", "true")
    item = page.locator("[data-notification-id]").first
    expect(item).to_contain_text("Order shipped")
    expect(item).to_have_attribute("data-unread", "")
    expect(item.get_by_role("link", name="View")).to_have_attribute("href", "/orders/7")
    mark_all = page.get_by_role("button", name="Mark all as read")
    mark_all.focus()
    site.post("/test/notify/1", {"title": "Second"})
    expect(page.locator("[data-notification-id]").first).to_contain_text("Second")
    expect(page.locator("[data-notification-id]")).to_have_count(2)
    expect(page.locator("#liveui-notifications-count")).to_have_text("2")
    # An open dropdown stays open and keeps the keyboard focus where it was.
    expect(page.locator("#liveui-notifications-panel")).to_be_visible()
    expect(mark_all).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#liveui-notifications-panel")).to_be_hidden()
    expect(bell).to_be_focused()


def test_mark_one_and_mark_all_read_update_both_tabs(
    browser: Browser, site: Site, contexts: list[BrowserContext]
) -> None:
    first = site.post("/test/notify/1", {"title": "one"}).json()["id"]
    site.post("/test/notify/1", {"title": "two"})
    site.post("/test/notify/1", {"title": "three"})
    context = browser.new_context()
    contexts.append(context)
    tab_a = open_tab(context, site, 1, contexts)
    tab_b = open_tab(context, site, 1, contexts)
    for tab in (tab_a, tab_b):
        expect(tab.locator("#liveui-notifications-count")).to_have_text("3")
    tab_a.get_by_role("button", name="Notifications", exact=True).click()
    item_a = tab_a.locator(f'[data-notification-id="{first}"]')
    item_a.get_by_role("button", name="Mark as read").click()
    for tab in (tab_a, tab_b):
        expect(tab.locator(f'[data-notification-id="{first}"]')).not_to_have_attribute(
            "data-unread", ""
        )
        expect(tab.locator("#liveui-notifications-count")).to_have_text("2")
    tab_b.get_by_role("button", name="Notifications", exact=True).click()
    tab_b.get_by_role("button", name="Mark all as read").click()
    for tab in (tab_a, tab_b):
        expect(tab.locator("[data-notification-id][data-unread]")).to_have_count(0)
        expect(tab.locator("#liveui-notifications-count")).to_have_text("0")
        expect(tab.locator("#liveui-notifications-count")).to_be_hidden()
    expect(tab_a.locator("#liveui-notifications-panel")).to_be_visible()


def test_a_second_user_sees_nothing_of_the_first(
    browser: Browser, site: Site, contexts: list[BrowserContext]
) -> None:
    alice = open_tab(browser, site, 1, contexts)
    bob = open_tab(browser, site, 2, contexts)
    site.post("/test/orders/1")
    site.post("/test/notify/1", {"title": "for alice only"})
    expect(alice.locator("#liveui-badge-pending_orders")).to_have_text("1")
    expect(alice.locator("[data-notification-id]")).to_have_count(1)
    # Bob's own update arrives after alice's; by then anything of hers would have too.
    site.post("/test/orders/2")
    site.post("/test/orders/2")
    expect(bob.locator("#liveui-badge-pending_orders")).to_have_text("2")
    expect(bob.locator("[data-notification-id]")).to_have_count(0)
    expect(bob.locator("#liveui-notifications-count")).to_have_text("0")
    assert "for alice only" not in bob.content()


def test_notification_text_is_escaped_in_the_browser(
    browser: Browser, site: Site, contexts: list[BrowserContext]
) -> None:
    site.post("/test/notify/1", {"title": XSS, "message": XSS})  # on first paint
    page = open_tab(browser, site, 1, contexts)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    site.post("/test/notify/1", {"title": XSS, "action_url": "javascript:alert(2)"})  # patched
    page.get_by_role("button", name="Notifications", exact=True).click()
    items = page.locator("[data-notification-id]")
    expect(items).to_have_count(2)
    for i in range(2):
        expect(items.nth(i).locator(".liveui-notification-title")).to_have_text(XSS)
    assert page.locator(".liveui-notifications img").count() == 0
    assert page.locator('a[href^="javascript"]').count() == 0
    assert dialogs == []


def test_missing_or_forged_tokens_are_refused(
    browser: Browser, site: Site, contexts: list[BrowserContext]
) -> None:
    page = open_tab(browser, site, 1, contexts)
    token = page.locator('meta[name="liveui"]').get_attribute("data-token")
    assert token
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with httpx.Client(base_url=site.url, timeout=10) as client:
        assert client.get("/liveui/sse").status_code == 403
        assert client.get("/liveui/sse", params={"token": forged}).status_code == 403
        assert client.post("/liveui/event", data={"event": "mark_all_read"}).status_code == 403
        refused = client.post(
            "/liveui/event", data={"event": "mark_all_read"}, headers={"X-LiveUI-Token": forged}
        )
        assert refused.status_code == 403
    import websockets.sync.client as ws_client
    from websockets.exceptions import InvalidStatus

    ws_url = site.url.replace("http", "ws") + "/liveui/ws?token=" + forged
    with pytest.raises(InvalidStatus) as refused_ws:
        ws_client.connect(ws_url, open_timeout=5)
    assert refused_ws.value.response.status_code == 403
