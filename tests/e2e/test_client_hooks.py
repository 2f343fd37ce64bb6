"""Client hooks in Chromium, over both live transports: a hook is mounted with its element,
updated when a patch replaces the element, destroyed when it leaves the page; its pushEvent
reaches the component, and the component's push_event reaches the hooks of that one tab."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from liveui.testing import LiveServer, serve
from tests.e2e.hooks_app import build_app

pytestmark = pytest.mark.e2e

TIMEOUT = 5_000


@pytest.fixture(scope="module", params=["sse", "ws"])
def server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    with serve(build_app(request.param), timeout_graceful_shutdown=1) as running:
        yield running


def open_probe(browser: Browser, url: str) -> Page:
    page = browser.new_page()
    page.goto(url)
    page.wait_for_function("window.liveui && window.liveui.lastEventId() !== null")
    return page


def log_of(page: Page) -> list[str]:
    return list(page.evaluate("window.__hookLog"))


def wait_for_entry(page: Page, entry: str) -> None:
    page.wait_for_function("e => window.__hookLog.includes(e)", arg=entry, timeout=TIMEOUT)


def test_a_hook_follows_its_element_through_patches(browser: Browser, server: LiveServer) -> None:
    page = open_probe(browser, server.url)
    try:
        assert log_of(page) == ["mounted:0"]
        page.evaluate("window.__probe.pushEvent('bump', {})")
        wait_for_entry(page, "updated:1")
        page.evaluate("window.__probe.pushEvent('hide', null)")
        wait_for_entry(page, "destroyed")
        # A hook gone from the page cannot push; the page asks through a fresh element.
        page.evaluate(
            "fetch(liveui.config.prefix + '/event', {method: 'POST', headers: {"
            "'X-LiveUI-Token': liveui.config.token, 'Content-Type': "
            "'application/x-www-form-urlencoded'}, body: new URLSearchParams({event: 'show', "
            "spec: JSON.stringify({c: 'hook_probe', p: {}}), payload: 'null'})})"
        )
        wait_for_entry(page, "mounted:1")
        assert log_of(page) == ["mounted:0", "updated:1", "destroyed", "mounted:1"]
    finally:
        page.close()


def test_a_server_event_reaches_only_the_tab_that_asked(
    browser: Browser, server: LiveServer
) -> None:
    first, second = open_probe(browser, server.url), open_probe(browser, server.url)
    try:
        first.evaluate("window.__probe.pushEvent('ping', {hello: 'first'})")
        wait_for_entry(first, 'pong:{"echo":{"hello":"first"},"n":0}')
        second.evaluate("window.__probe.pushEvent('ping', {hello: 'second'})")
        wait_for_entry(second, 'pong:{"echo":{"hello":"second"},"n":0}')
        # Each tab heard its own answer, once, and never the other's.
        assert [e for e in log_of(first) if e.startswith("pong")] == [
            'pong:{"echo":{"hello":"first"},"n":0}']
        assert [e for e in log_of(second) if e.startswith("pong")] == [
            'pong:{"echo":{"hello":"second"},"n":0}']
        # The event element is handed over and removed: nothing piles up in the page.
        assert first.evaluate("document.querySelectorAll('[data-liveui-event]').length") == 0
    finally:
        first.close()
        second.close()
