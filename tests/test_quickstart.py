"""The README's quick start really works: the README shows exactly the example app, and that app
paints real values first, then updates live in a browser."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from playwright.sync_api import Page, expect

from liveui.testing import LiveServer, serve

ROOT = Path(__file__).resolve().parents[1]
e2e = pytest.mark.e2e
SHOWN = re.compile(r"<!-- quickstart: (\S+) -->\n```[\w+-]*\n(.*?)```", re.S)


def test_the_readme_shows_the_tested_app_verbatim() -> None:
    shown = dict(SHOWN.findall((ROOT / "README.md").read_text()))
    assert set(shown) == {
        "docs/examples/quickstart/app.py", "docs/examples/quickstart/templates/home.html"
    }
    for path, code in shown.items():
        assert code == (ROOT / path).read_text(), f"README.md's copy of {path} is stale"


@pytest.fixture
def quickstart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    monkeypatch.setenv("QUICKSTART_DATABASE", f"sqlite+aiosqlite:///{tmp_path / 'q.db'}")
    module: ModuleType = importlib.import_module("docs.examples.quickstart.app")
    module = importlib.reload(module)  # a fresh engine on this test's database
    with serve(module.app, timeout_graceful_shutdown=1) as server:
        yield server


@e2e
def test_quickstart_badge_is_live(quickstart: LiveServer, page: Page) -> None:
    page.goto(f"{quickstart.url}/login/1")
    badge = page.locator('nav [data-counter="pending_orders"]')
    expect(badge).to_have_text("0")
    other = page.context.new_page()
    other.goto(f"{quickstart.url}/")  # the same browser: the same login
    other.get_by_role("button", name="Place order").click()
    expect(badge).to_have_text("1")  # the first tab, without a reload
    expect(page.locator('[data-counter="unread_notifications"]').first).to_have_text("1")
