"""Opening a live page in a browser window as the e2e tests do: wait for its first patch, and
mark the document so a test can tell it was never reloaded."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page

__all__ = ["not_reloaded", "open_live"]


def open_live(context: BrowserContext, path: str) -> Page:
    """A page whose live connection delivered its first patch, marked to detect reloads."""
    page = context.new_page()
    page.goto(path)
    page.wait_for_function("window.liveui && window.liveui.lastEventId() !== null")
    page.evaluate("window.__notReloaded = true")
    return page


def not_reloaded(*pages: Page) -> bool:
    """Every page still shows the document `open_live` marked."""
    return all(page.evaluate("window.__notReloaded === true") is True for page in pages)
