"""The README's quick start really works: first paint, then a live update in a browser."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from playwright.sync_api import Page, expect

from liveui.testing import LiveServer, serve


@pytest.fixture
def quickstart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    monkeypatch.setenv("QUICKSTART_DATABASE", f"sqlite+aiosqlite:///{tmp_path / 'q.db'}")
    module: ModuleType = importlib.import_module("docs.examples.quickstart.app")
    module = importlib.reload(module)  # a fresh engine on this test's database
    with serve(module.app, timeout_graceful_shutdown=1) as server:
        yield server


def test_quickstart_badge_is_live(quickstart: LiveServer, page: Page) -> None:
    page.goto(f"{quickstart.url}/?user=1")
    badge = page.locator('nav [data-counter="pending_orders"]')
    expect(badge).to_have_text("0")
    other = page.context.new_page()
    other.goto(f"{quickstart.url}/?user=1")
    other.get_by_role("button", name="Place order").click()
    expect(badge).to_have_text("1")  # the first tab, without a reload
    expect(page.locator('[data-counter="unread_notifications"]').first).to_have_text("1")
