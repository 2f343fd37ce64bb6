"""A live page survives a server restart: what happened while the server was down shows up
after it returns, without a page reload (the session is rebuilt from the page's specs)."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from liveui.testing import ServerProcess, free_port
from tests.e2e.live_app import Notification, Order, create_database

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
APP = Path(__file__).with_name("live_app.py")


class AppProcess(ServerProcess):
    """tests/e2e/live_app.py on its own port and SQLite file (stopped with SIGTERM, as a
    process manager would)."""

    def __init__(self, db: Path, port: int, transport: str) -> None:
        self.db = db
        super().__init__(
            [sys.executable, str(APP), "--db", str(db), "--port", str(port),
             "--transport", transport],
            url=f"http://127.0.0.1:{port}", log_path=db.with_suffix(".log"), cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)}, name="live_app",
            stop_signal=signal.SIGTERM,
        )


@pytest.fixture(params=["sse", "ws"])
def app_process(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AppProcess]:
    db = tmp_path / "restart.db"
    create_database(db)
    app = AppProcess(db, free_port(), request.param)
    app.start()
    try:
        yield app
    finally:
        app.stop()


def test_reconnect_after_restart_shows_what_happened_meanwhile(
    browser: Browser, app_process: AppProcess
) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{app_process.url}/login/1")
        page.wait_for_function("window.liveui && window.liveui.lastEventId() !== null")
        expect(page.locator("#liveui-badge-pending_orders")).to_have_text("0")
        page.evaluate("window.__notReloaded = true")
        app_process.stop()
        # Writes while the server is down (no broadcast can happen): only the database knows.
        engine = create_engine(f"sqlite:///{app_process.db}")
        with Session(engine) as session:
            session.add(Order(user_id=1))
            session.add(Notification(user_id=1, title="While you were away", message="",
                                     type="info", read=False, meta={},
                                     inserted_at=datetime.now(UTC)))
            session.commit()
        engine.dispose()
        app_process.start()
        expect(page.locator("#liveui-badge-pending_orders")).to_have_text("1", timeout=20_000)
        expect(page.locator("[data-notification-id]")).to_have_count(1)
        expect(page.locator("[data-notification-id]").first).to_contain_text("While you were away")
        expect(page.locator("#liveui-notifications-count")).to_have_text("1")
        assert page.evaluate("window.__notReloaded") is True
    finally:
        context.close()
