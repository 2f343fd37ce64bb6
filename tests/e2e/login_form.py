"""Logging in to the demo through its login form, as a person would, and the demo fixture's
transport parametrisation (see tests/e2e/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

__all__ = ["BOTH_TRANSPORTS", "log_in_through_the_form", "logged_in_context"]

BOTH_TRANSPORTS = pytest.mark.parametrize("demo", ["sse", "ws"], indirect=True, scope="module")
"""Run a module's tests against a demo serving live pages over SSE, then over WebSocket."""


def log_in_through_the_form(page: Page, demo_url: str, username: str, next_path: str = "/") -> None:
    """Submit the login form (every demo user's password is "demo") and wait for `next_path`."""
    login = f"{demo_url}/login"  # absolute: the page's context need not have a base_url
    page.goto(login if next_path == "/" else f"{login}?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(demo_url + next_path)


def logged_in_context(
    browser: Browser, demo_url: str, username: str, **context_args: Any
) -> BrowserContext:
    """A new browser window (context) logged in through the form as `username`; the caller
    closes it. The demo's CSP forbids the eval Playwright's wait_for_function polls with, so the
    context bypasses it (see tests/conftest.py)."""
    context = browser.new_context(base_url=demo_url, bypass_csp=True, **context_args)
    page = context.new_page()
    log_in_through_the_form(page, demo_url, username)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.close()
    return context
