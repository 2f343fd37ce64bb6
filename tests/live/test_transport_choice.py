"""The live transport's default and the start-up warning when SSE, which holds one of the
browser's six HTTP/1.1 connections per tab, is chosen (the many-tab behaviour itself is proven
in Chromium by tests/e2e/test_many_tabs.py)."""

from __future__ import annotations

import logging

import jinja2
import pytest

from liveui import LiveSettings, LiveUI, Node
from liveui.live.app import SSE_TAB_LIMIT
from liveui.live.live_settings import TransportName
from liveui.live.page import LivePage


def started_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def head(live: LiveUI) -> str:
    env = jinja2.Environment(autoescape=True)
    live.install_templates(env)
    page = LivePage(user_id=1, session_id="s", token="t")
    return env.from_string("{{ liveui_head() }}").render(liveui_page=page)


def test_websocket_is_the_default_and_the_page_can_fall_back_to_sse() -> None:
    live = LiveUI(node=Node(), secret_key="k" * 32, get_user_id=lambda r: None)
    assert LiveSettings().transport == "ws" and live.settings.transport == "ws"
    html = head(live)
    assert 'data-transport="ws"' in html
    assert "vendor/htmx-ext-ws.min.js" in html
    # What the browser loads if its WebSocket never opens (a proxy refusing upgrades).
    assert 'data-sse-url="/liveui/sse"' in html
    assert 'data-sse-extension="/static/liveui/vendor/htmx-ext-sse.min.js"' in html


@pytest.mark.parametrize("transport", ["ws", "sse"])
async def test_choosing_sse_is_a_warning_at_start_up(
    transport: TransportName, caplog: pytest.LogCaptureFixture
) -> None:
    node = Node()
    LiveUI(node=node, secret_key="k" * 32, get_user_id=lambda r: None,
           settings=LiveSettings(transport=transport))
    with caplog.at_level(logging.WARNING, logger="liveui.live"):
        async with node.lifespan():
            pass
    warned = [m for m in started_warnings(caplog) if m == SSE_TAB_LIMIT]
    assert len(warned) == (1 if transport == "sse" else 0)
    if warned:
        assert "HTTP/2" in warned[0] and "'ws'" in warned[0]
