"""`GET <prefix>/status`, which liveui.js asks after failed connection attempts: 204 while the
page's token is good (retrying can work), 403 once it is forged, expired or revoked (the
token check every live endpoint shares), 503 while
the node never started. What the page then shows is proven in Chromium
(tests/e2e/test_connection_state.py)."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from liveui import LiveUI, Node
from liveui.live.session_token import make_token
from liveui.testing import serve

SECRET = "k" * 32


def _app() -> tuple[Starlette, LiveUI]:
    live = LiveUI(node=Node(), secret_key=SECRET, get_user_id=lambda r: None)
    return Starlette(routes=live.routes(), lifespan=live.node.lifespan), live


def test_status_answers_whether_a_retry_can_work() -> None:
    app, _ = _app()
    _, token = make_token(SECRET, 7)
    _, forged = make_token("another-secret-" * 3, 7)
    with serve(app, timeout_graceful_shutdown=1) as server, httpx.Client(base_url=server.url) as c:
        good = c.get("/liveui/status", headers={"X-LiveUI-Token": token})
        assert good.status_code == 204 and good.headers["cache-control"] == "no-store"
        refused = c.get("/liveui/status", headers={"X-LiveUI-Token": forged})
        assert refused.status_code == 403 and "live updates refused" in refused.text
        assert c.get("/liveui/status").status_code == 403  # no token at all


async def test_status_is_503_before_the_node_runs() -> None:
    app, _ = _app()
    _, token = make_token(SECRET, 7)
    transport = httpx.ASGITransport(app=app)  # no lifespan: the node never starts
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.get("/liveui/status", headers={"X-LiveUI-Token": token})
    assert answer.status_code == 503 and "never started" in answer.text
