"""docs/examples/fastapi under a real server: FastAPI routes with a `current_user` dependency,
the live page in Chromium, and the JSON channel for SPA clients, all on one node."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
import websockets.sync.client
from playwright.sync_api import Page, expect

from liveui.testing import LiveServer, serve

pytestmark = pytest.mark.e2e


@pytest.fixture
def fastapi_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    monkeypatch.setenv("FASTAPI_EXAMPLE_DATABASE", f"sqlite+aiosqlite:///{tmp_path / 'f.db'}")
    module: ModuleType = importlib.import_module("docs.examples.fastapi.app")
    module = importlib.reload(module)  # a fresh engine on this test's database
    with serve(module.api, timeout_graceful_shutdown=1) as server:
        yield server


def test_the_fastapi_example_is_live(fastapi_app: LiveServer, page: Page) -> None:
    page.goto(f"{fastapi_app.url}/login/1")
    expect(page.get_by_text("Signed in as user 1.")).to_be_visible()
    badge = page.locator('[data-counter="open_tickets"]').first
    expect(badge).to_have_text("0")
    page.wait_for_function("window.liveui && window.liveui.lastEventId() !== null", timeout=10_000)

    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    with httpx.Client(base_url=fastapi_app.url, cookies=cookies, timeout=10) as client:
        assert client.post("/api/tickets").status_code == 200  # a FastAPI route commits
        token = client.get("/api/socket-token").json()["token"]
        assert httpx.post(f"{fastapi_app.url}/api/tickets").status_code == 401  # anonymous
    expect(badge).to_have_text("1")  # the live page, without a reload

    # The JSON channel on the same node: join user:1 and get its initial state.
    url = fastapi_app.url.replace("http", "ws") + f"/socket/websocket?token={token}&vsn=2.0.0"
    with websockets.sync.client.connect(url) as ws:
        ws.send(json.dumps(["1", "1", "user:1", "phx_join", {}]))
        reply = json.loads(ws.recv(timeout=10))
        assert reply[3] == "phx_reply" and reply[4]["status"] == "ok"
        state = json.loads(ws.recv(timeout=10))
        assert state[3] == "initial_state" and state[4]["counters"]["open_tickets"] == 1
