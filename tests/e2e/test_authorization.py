"""What alice must not be able to do in the real demo, tried the way an attacker would: through
the pages, the live UI's action endpoint (with her own valid live token) and the JSON channel
(with her own valid socket token). Plain HTTP and WebSocket clients, no browser needed.

These live in tests/e2e because the demo runs as a subprocess and the clients are synchronous
(the session's Playwright loop owns the main thread by the time they run).
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from liveui.tokens import sign
from tests.e2e.walkthrough_server import DemoServer
from tests.support.demo_http import logged_in_client, post_form

pytestmark = pytest.mark.e2e

TIMEOUT = 5.0


def test_logging_in_needs_the_login_forms_csrf_token(demo: DemoServer) -> None:
    with httpx.Client(base_url=demo.url, timeout=TIMEOUT) as client:
        client.get("/login")  # a session, but the form's token is not sent back
        response = client.post("/login", data={"username": "alice", "password": "demo"})
        assert response.status_code == 403
        assert "CSRF" in response.text
        assert client.get("/", follow_redirects=False).status_code == 303  # still logged out


class LivePage(HTMLParser):
    """The live token and the "Mark as read" buttons' hx-vals of a rendered page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.token = ""
        self.mark_read: list[dict[str, Any]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "meta" and found.get("name") == "liveui":
            self.token = found.get("data-token") or ""
        vals = json.loads(found.get("hx-vals") or "{}")
        if vals.get("event") == "mark_read":
            self.mark_read.append(vals)


def unread(demo: DemoServer, username: str) -> list[str]:
    rows = demo.query(
        "SELECT n.id FROM liveui_notifications n JOIN users u ON u.id = n.user_id"
        " WHERE u.username = ? AND NOT n.read ORDER BY n.inserted_at",
        username,
    )
    return [str(row[0]) for row in rows]


def test_alice_cannot_open_the_admin_page(demo: DemoServer) -> None:
    with logged_in_client(demo.url, "alice") as alice:
        response = alice.get("/admin")
        assert response.status_code == 403
        assert "Pending orders" not in response.text
    with logged_in_client(demo.url, "admin") as admin:
        assert admin.get("/admin").status_code == 200


def test_alice_cannot_complete_an_order_through_the_admin_action(demo: DemoServer) -> None:
    order_id = demo.query("SELECT id FROM orders WHERE status = 'pending' ORDER BY id")[0][0]
    with logged_in_client(demo.url, "alice") as alice:
        response = post_form(alice, f"/admin/orders/{order_id}/complete", page="/orders")
    assert response.status_code == 403
    assert demo.query("SELECT status FROM orders WHERE id = ?", order_id) == [("pending",)]


def test_alice_cannot_mark_bobs_notification_read_through_the_live_action(
    demo: DemoServer,
) -> None:
    bobs = unread(demo, "bob")
    assert bobs, "the seed gives bob unread notifications"
    with logged_in_client(demo.url, "alice") as alice:
        page = LivePage(alice.get("/").text)
        assert page.token and page.mark_read, "alice's page has a live token and unread items"
        # Her own, genuine "Mark as read" request, with only the id swapped for bob's.
        forged = {**page.mark_read[0], "id": bobs[0]}
        response = alice.post(
            "/liveui/event", data=forged, headers={"X-LiveUI-Token": page.token}
        )
        assert response.status_code in (403, 404), response.text
        # Without the live token the endpoint refuses before looking at anything.
        assert alice.post("/liveui/event", data=forged).status_code == 403
        # The same request for her own notification works: the refusal above is about bob's.
        own = alice.post(
            "/liveui/event", data=page.mark_read[0], headers={"X-LiveUI-Token": page.token}
        )
        assert own.status_code == 204, own.text
    assert unread(demo, "bob") == bobs


def join(ws: ClientConnection, topic: str, ref: str) -> dict[str, Any]:
    """phoenix.js V2 frames: [join_ref, ref, topic, event, payload]; returns the join reply."""
    ws.send(json.dumps([ref, ref, topic, "phx_join", {}]))
    return reply(ws, ref)


def reply(ws: ClientConnection, ref: str) -> dict[str, Any]:
    while True:
        frame = json.loads(ws.recv(timeout=TIMEOUT))
        if frame[1] == ref and frame[3] == "phx_reply":
            payload: dict[str, Any] = frame[4]
            return payload


def socket_url(demo: DemoServer, token: str | None) -> str:
    url = demo.url.replace("http://", "ws://") + "/socket/websocket?vsn=2.0.0"
    return url + (f"&token={token}" if token is not None else "")


def test_alice_cannot_join_bobs_channel_nor_mark_his_notification_read(
    demo: DemoServer,
) -> None:
    token, alice_id = demo.token("alice")
    bob_id = str(demo.user_id("bob"))
    bobs = unread(demo, "bob")
    assert bobs
    with connect(socket_url(demo, token), open_timeout=TIMEOUT) as ws:
        refused = join(ws, f"user:{bob_id}", "1")
        assert refused == {"status": "error", "response": {"reason": "unauthorized"}}

        joined = join(ws, f"user:{alice_id}", "2")
        assert joined["status"] == "ok"
        ws.send(json.dumps(["2", "3", f"user:{alice_id}", "mark_notification_read",
                            {"id": bobs[0]}]))
        answer = reply(ws, "3")
        assert answer == {"status": "error", "response": {"reason": "unauthorized"}}
        # The socket and channel keep working after the refusals.
        ws.send(json.dumps(["2", "4", f"user:{alice_id}", "refresh_counters", {}]))
        assert reply(ws, "4")["status"] == "ok"
    assert unread(demo, "bob") == bobs


@pytest.mark.parametrize(
    "token",
    [None, "forged", sign("not-the-demo-secret", "1", salt="user socket")],
    ids=["missing", "garbage", "signed-with-another-secret"],
)
def test_a_missing_or_forged_socket_token_gets_403(demo: DemoServer, token: str | None) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(socket_url(demo, token), open_timeout=TIMEOUT).close()
    assert refused.value.response.status_code == 403


FORGED_LIVE_TOKENS = {
    "missing": None,
    "garbage": "forged",
    "signed-with-another-secret": sign("another-secret", {"u": "1", "s": "x"}, salt="liveui.live"),
}


@pytest.mark.parametrize("token", FORGED_LIVE_TOKENS.values(), ids=FORGED_LIVE_TOKENS.keys())
def test_a_missing_or_forged_live_token_gets_403(demo: DemoServer, token: str | None) -> None:
    params = {"token": token} if token is not None else {}
    headers = {"X-LiveUI-Token": token} if token is not None else {}
    before = unread(demo, "alice")
    with logged_in_client(demo.url, "alice") as alice:  # a logged-in cookie is not enough
        assert alice.get("/liveui/sse", params=params).status_code == 403
        assert alice.post("/liveui/event", headers=headers,
                          data={"event": "mark_all_read"}).status_code == 403
    with pytest.raises(InvalidStatus) as refused:
        url = demo.url.replace("http://", "ws://") + "/liveui/ws"
        connect(url + (f"?token={token}" if token else ""), open_timeout=TIMEOUT).close()
    assert refused.value.response.status_code == 403
    assert unread(demo, "alice") == before
