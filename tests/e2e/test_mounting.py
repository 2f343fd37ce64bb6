"""liveui mounted under a prefix of a parent app (Starlette or FastAPI): every URL the page and
liveui.js use carries the prefix, and the parent's lifespan starts the mounted app's node (a
mounted app's own lifespan never runs)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect
from starlette.applications import Starlette
from starlette.routing import Mount

from liveui.testing import LiveServer, serve
from tests.e2e.live_app import build_app, create_database

pytestmark = pytest.mark.e2e


def mounted(db: Path, transport: str, parent: str) -> Any:
    built = build_app(db, transport)
    inner = built.app

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        async with inner.router.lifespan_context(inner):  # the recipe: enter the sub-app's
            yield

    if parent == "fastapi":
        api = FastAPI(lifespan=lifespan)
        api.mount("/desk", inner)
        return api
    return Starlette(routes=[Mount("/desk", app=inner)], lifespan=lifespan)


@pytest.fixture(params=[("sse", "starlette"), ("ws", "starlette"), ("sse", "fastapi")],
                ids=["sse-starlette", "ws-starlette", "sse-fastapi"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    db = tmp_path / "mounted.db"
    create_database(db)
    transport, parent = request.param
    with serve(mounted(db, transport, parent), timeout_graceful_shutdown=1) as running:
        yield running


def test_a_mounted_app_is_live_under_its_prefix(server: LiveServer, page: Page) -> None:
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(f"{server.url}/desk/login/1")
    assert page.url == f"{server.url}/desk/"
    meta = page.locator('meta[name="liveui"]')
    for attribute in ("data-sse-url", "data-ws-url", "data-event-url"):
        assert (meta.get_attribute(attribute) or "").startswith("/desk/liveui/"), attribute
    page.wait_for_function("window.liveui && window.liveui.lastEventId() !== null", timeout=10_000)

    httpx.post(f"{server.url}/desk/test/orders/1", timeout=10).raise_for_status()
    expect(page.locator('[data-counter="pending_orders"]').first).to_have_text("1")

    notification = httpx.post(
        f"{server.url}/desk/test/notify/1", json={"title": "Mounted", "action_url": "/"},
        timeout=10,
    ).json()
    item = page.locator(f'[data-notification-id="{notification["id"]}"]')
    page.locator("[data-liveui-toggle]").first.click()
    expect(item).to_have_attribute("data-unread", "")
    # Rendered in a live patch (no request at hand): the app path still gets the prefix.
    expect(item.locator("a.liveui-notification-action")).to_have_attribute("href", "/desk/")
    item.get_by_role("button", name="Mark as read").click()  # an action through the prefix
    expect(item).not_to_have_attribute("data-unread", "")
    assert failed == []  # no 404 for a script, a stream or an action


@pytest.mark.parametrize("parent", ["starlette", "fastapi"])
def test_without_javascript_forms_and_notification_links_stay_under_the_mount(
    parent: str, browser: Browser, tmp_path: Path
) -> None:
    """A row's no-JS form (`formaction="{{ app_url('/orders/1/cancel') }}"`) and a
    notification's `action_url="/orders"` lead to the mounted app, not out of it (404)."""
    db = tmp_path / "nojs.db"
    create_database(db)
    with serve(mounted(db, "sse", parent), timeout_graceful_shutdown=1) as server:
        context = browser.new_context(base_url=server.url, java_script_enabled=False)
        page = context.new_page()
        failed: list[str] = []
        page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
        try:
            page.goto("/desk/login/1")
            httpx.post(f"{server.url}/desk/test/orders/1", timeout=10).raise_for_status()
            httpx.post(f"{server.url}/desk/test/notify/1", timeout=10,
                       json={"title": "Order placed", "action_url": "/orders"}).raise_for_status()

            page.goto("/desk/")  # first paint carries the notification, its link prefixed
            link = page.locator("a.liveui-notification-action")
            expect(link).to_have_attribute("href", "/desk/orders")
            page.goto(link.get_attribute("href") or "")
            expect(page).to_have_url(f"{server.url}/desk/orders")

            row = page.locator("li[data-order-id]")
            expect(row).to_have_attribute("data-status", "pending")
            cancel = row.get_by_role("button", name="Cancel")
            expect(cancel).to_have_attribute("formaction", "/desk/orders/1/cancel")
            cancel.click()  # a plain form post, then the app's redirect back
            expect(page).to_have_url(f"{server.url}/desk/orders")
            expect(row).to_have_attribute("data-status", "cancelled")
            expect(row.get_by_role("button", name="Cancel")).to_have_count(0)
        finally:
            context.close()
    assert failed == []


def test_live_endpoints_refuse_clearly_when_the_node_never_started(tmp_path: Path) -> None:
    """Mounted without the recipe: the sub-app's lifespan (and so the node) never runs."""
    db = tmp_path / "unstarted.db"
    create_database(db)
    built = build_app(db, "sse")
    parent = Starlette(routes=[Mount("/desk", app=built.app)])
    with serve(parent) as running:
        response = httpx.get(f"{running.url}/desk/liveui/sse?token=x", timeout=10)
    assert response.status_code == 503
    assert "never started" in response.text
