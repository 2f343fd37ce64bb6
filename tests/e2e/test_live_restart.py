"""A live page survives a server restart: what happened while the server was down shows up
after it returns, without a page reload (the session is rebuilt from the page's specs)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from liveui.testing import free_port
from tests.e2e.live_app import Notification, Order, create_database

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
APP = Path(__file__).with_name("live_app.py")


class AppProcess:
    def __init__(self, db: Path, port: int, transport: str) -> None:
        self.db, self.port, self.transport = db, port, transport
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, str(APP), "--db", str(self.db), "--port", str(self.port),
             "--transport", self.transport],
            cwd=ROOT, env=env,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited with {self.process.returncode}")
            try:
                httpx.get(self.url + "/", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("the app did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None


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
