"""Logging in to the demo through its login form, as a person would."""

from __future__ import annotations

from playwright.sync_api import Page, expect

__all__ = ["log_in_through_the_form"]


def log_in_through_the_form(page: Page, demo_url: str, username: str, next_path: str = "/") -> None:
    """Submit the login form (every demo user's password is "demo") and wait for `next_path`."""
    page.goto("/login" if next_path == "/" else f"/login?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(demo_url + next_path)
