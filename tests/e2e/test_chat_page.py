"""The demo's /chat page: the official phoenix.js client in the browser, two people chatting."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.login_form import log_in_through_the_form
from tests.e2e.walkthrough_server import DemoServer

pytestmark = pytest.mark.e2e


def chat_page(browser: Browser, demo: DemoServer, username: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(base_url=demo.url, bypass_csp=True)  # see tests/conftest.py
    page = context.new_page()
    log_in_through_the_form(page, demo.url, username, "/chat")
    return context, page


def test_two_people_chat_and_text_stays_text(browser: Browser, demo: DemoServer) -> None:
    alice_ctx, alice = chat_page(browser, demo, "alice")
    bob_ctx, bob = chat_page(browser, demo, "bob")
    try:
        for page in (alice, bob):
            expect(page.locator("#chat-status")).to_have_text("Connected")
            # the history push: the seeded messages, oldest first
            expect(page.locator(".chat-message").first).to_contain_text("Anyone seen the new dock?")
        bob.get_by_role("textbox", name="Message").fill("hi")  # typing reaches alice
        expect(alice.locator("#chat-typing")).to_contain_text("Bob Okafor is typing")
        text = "<img src=x onerror=alert(1)> hello bob"
        alice.get_by_role("textbox", name="Message").fill(text)
        alice.get_by_role("button", name="Send").click()
        for page in (alice, bob):
            last = page.locator(".chat-message").last
            expect(last.locator(".chat-body")).to_have_text(text)
            expect(last.locator(".chat-author")).to_have_text("Alice Martin")
        assert bob.locator(".chat-message img").count() == 0
        stored = demo.query("SELECT body FROM chat_messages ORDER BY id DESC LIMIT 1")
        assert stored == [(text,)]
    finally:
        alice_ctx.close()
        bob_ctx.close()


def test_an_invalid_message_is_refused_with_a_reason(browser: Browser, demo: DemoServer) -> None:
    context, page = chat_page(browser, demo, "alice")
    try:
        expect(page.locator("#chat-status")).to_have_text("Connected")
        page.evaluate("document.getElementById('chat-body').removeAttribute('required')")
        page.get_by_role("textbox", name="Message").fill("   ")
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_role("alert")).to_have_text("Not sent: invalid")
    finally:
        context.close()


def test_carol_is_not_in_the_lobby(browser: Browser, demo: DemoServer) -> None:
    context, page = chat_page(browser, demo, "carol")
    try:
        expect(page.get_by_text("is not a member of the lobby")).to_be_visible()
        assert page.locator("#chat").count() == 0
    finally:
        context.close()


def test_who_is_online_follows_tabs_opening_and_closing(
    browser: Browser, demo: DemoServer
) -> None:
    """phoenix.js's Presence on the page: a key per user, a meta per tab."""
    alice_ctx, alice = chat_page(browser, demo, "alice")
    bob_ctx, bob = chat_page(browser, demo, "bob")
    try:
        online = alice.locator("#chat-online li")
        expect(online).to_have_text(["Alice Martin", "Bob Okafor"])
        expect(bob.locator("#chat-online li")).to_have_text(["Alice Martin", "Bob Okafor"])
        second_tab = bob_ctx.new_page()
        second_tab.goto("/chat")
        expect(online).to_have_text(["Alice Martin", "Bob Okafor (2 tabs)"])
        second_tab.close()
        expect(online).to_have_text(["Alice Martin", "Bob Okafor"])
        bob_ctx.close()
        expect(online).to_have_text(["Alice Martin"])
    finally:
        alice_ctx.close()
        bob_ctx.close()


def test_the_admin_dashboard_shows_who_is_online_in_the_chat(
    browser: Browser, demo: DemoServer
) -> None:
    """A live component fed by presence: alice's two chat tabs make one entry with two tabs;
    closing them makes her leave, without a reload of the admin page."""
    admin_ctx = browser.new_context(base_url=demo.url, bypass_csp=True)
    admin = admin_ctx.new_page()
    log_in_through_the_form(admin, demo.url, "admin", "/admin")
    online = admin.locator("[data-live='online_in_chat']")
    alice_ctx, alice = chat_page(browser, demo, "alice")
    try:
        expect(alice.locator("#chat-status")).to_have_text("Connected")
        second = alice_ctx.new_page()
        second.goto("/chat")
        expect(second.locator("#chat-status")).to_have_text("Connected")
        entry = online.locator("[data-presence-user='alice']")
        expect(entry).to_contain_text("2 tabs")
        second.close()
        expect(entry).to_contain_text("1 tab")
    finally:
        alice_ctx.close()
    expect(online.locator("[data-presence-user='alice']")).to_have_count(0)
    admin_ctx.close()
