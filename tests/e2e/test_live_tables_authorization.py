"""What alice must not get from the demo's live tables and actions, tried with her own valid
live token: another audience's collection through a forged component spec (SSE and WebSocket),
params the component does not declare, admin actions, another user's order. Plain HTTP and
WebSocket clients against the real demo."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.e2e.walkthrough_server import DemoServer
from tests.support.demo_http import logged_in_client

pytestmark = pytest.mark.e2e

TIMEOUT = 5.0
LIVE_TOKEN = re.compile(r'<meta name="liveui"[^>]*data-token="([^"]+)"')


@contextmanager
def logged_in(demo: DemoServer, username: str) -> Iterator[tuple[httpx.Client, str]]:
    """A client logged in as `username`, and the live token of its /orders page."""
    with logged_in_client(demo.url, username, TIMEOUT) as client:
        token = LIVE_TOKEN.search(client.get("/orders").text)
        assert token is not None, "the page carries a live token"
        yield client, token.group(1)


def specs(*items: dict[str, Any]) -> str:
    raw = json.dumps(list(items), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


ADMIN_TABLE = {"c": "pending_orders", "p": {}}


def first_patch(client: httpx.Client, token: str, spec: str) -> str:
    with client.stream("GET", "/liveui/sse", params={"token": token, "c": spec}) as response:
        assert response.status_code == 200
        data: list[str] = []
        for line in response.iter_lines():
            if line.startswith("data:"):
                data.append(line[5:].lstrip())
            elif not line and any("data-order-id" in d for d in data):
                return "\n".join(data)
            elif not line:
                data = []
    raise AssertionError("the stream ended without a patch")


def test_a_forged_spec_for_the_admin_table_is_refused(demo: DemoServer) -> None:
    with logged_in(demo, "alice") as (alice, token):
        refused = alice.get("/liveui/sse", params={"token": token, "c": specs(ADMIN_TABLE)})
        assert refused.status_code == 403
        assert "pending_orders" in refused.text
        with pytest.raises(InvalidStatus) as ws_refused:
            url = demo.url.replace("http://", "ws://") + "/liveui/ws"
            connect(f"{url}?token={token}&c={specs(ADMIN_TABLE)}", open_timeout=TIMEOUT).close()
        assert ws_refused.value.response.status_code == 403
        # Params a component does not declare are refused too (no "show me user 2's rows").
        bad = alice.get("/liveui/sse", params={
            "token": token, "c": specs({"c": "my_orders", "p": {"user_id": 2}})})
        assert bad.status_code == 400 and "user_id" in bad.text
    with logged_in(demo, "admin") as (admin, token):
        patch = first_patch(admin, token, specs(ADMIN_TABLE))
        assert 'data-status="pending"' in patch


def test_alices_own_table_only_ever_carries_her_rows(demo: DemoServer) -> None:
    alice_id = demo.user_id("alice")
    mine = {str(row[0]) for row in demo.query(
        "SELECT id FROM orders WHERE user_id = ? ORDER BY id DESC LIMIT 20", alice_id)}
    assert demo.query("SELECT count(*) FROM orders WHERE user_id != ?", alice_id)[0][0]
    with logged_in(demo, "alice") as (alice, token):
        patch = first_patch(alice, token, specs({"c": "my_orders", "p": {}}))
    shown = set(re.findall(r'data-order-id="(\d+)"', patch))
    assert shown == mine


def live_action(client: httpx.Client, token: str, **fields: Any) -> httpx.Response:
    return client.post("/liveui/event", data={k: str(v) for k, v in fields.items()},
                       headers={"X-LiveUI-Token": token, "HX-Request": "true"})


def test_live_actions_check_the_actor(demo: DemoServer) -> None:
    bob_order = int(str(demo.query(
        "SELECT o.id FROM orders o JOIN users u ON u.id = o.user_id"
        " WHERE u.username = 'bob' AND o.status = 'pending' ORDER BY o.id")[0][0]))
    with logged_in(demo, "alice") as (alice, token):
        complete = live_action(alice, token, action="complete_order", id=bob_order)
        assert complete.status_code == 403 and 'id="liveui-flash"' in complete.text
        cancel = live_action(alice, token, action="cancel_order", id=bob_order)
        assert cancel.status_code == 403
        assert live_action(alice, token, action="no_such_action").status_code == 404
        assert alice.post("/liveui/event", data={"action": "place_order"}).status_code == 403
        # A forged component event on the admin table: refused before it runs.
        forged = alice.post("/liveui/event", headers={"X-LiveUI-Token": token}, data={
            "event": "more", "spec": json.dumps(ADMIN_TABLE)})
        assert forged.status_code == 403

        placed = live_action(alice, token, action="place_order")
        assert placed.status_code == 200
        own = int(re.findall(r"Order #(\d+) placed", placed.text)[0])
        first = live_action(alice, token, action="cancel_order", id=own)
        assert first.status_code == 200 and f"Order #{own} cancelled" in first.text
        again = live_action(alice, token, action="cancel_order", id=own)
        assert again.status_code == 409 and "already cancelled" in again.text
    assert demo.query("SELECT status FROM orders WHERE id = ?", bob_order) == [("pending",)]
