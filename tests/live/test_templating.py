"""The template tags on a Starlette Jinja2Templates and on a plain jinja2.Environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import jinja2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from liveui import LiveComponent, LiveUI, Node
from tests.live.world import World

PAGE = """<html><head>{{ liveui_head() }}</head><body>
{{ notification_dropdown(limit=5) }} {{ live_badge("pending_orders", hide_zero=True) }}
</body></html>"""


def _request() -> Request:
    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
    return Request(scope)


async def test_tags_render_real_values_after_prepare(world: World, tmp_path: Path) -> None:
    alice = await world.add_user("alice")
    await world.add_order(alice)
    await world.notify(alice, title="Shipped <b>now</b>")
    await world.dispatch.wait_idle()
    live = world.harness.live
    live.get_user_id = lambda request: alice
    env = jinja2.Environment(loader=jinja2.DictLoader({"page.html": PAGE}))  # autoescape off
    live.install_templates(env)
    request = _request()
    page = await live.prepare(request)
    html = env.get_template("page.html").render(request=request)
    assert 'data-counter="pending_orders"' in html and ">1</span>" in html
    assert "Shipped &lt;b&gt;now&lt;/b&gt;" in html  # escaped although the env does not escape
    assert 'data-counter="unread_notifications"' in html
    assert f'data-token="{page.token}"' in html
    assert live.tokens.read(page.token).user_id == alice
    assert "/static/liveui/vendor/htmx-ext-sse.min.js" in html


async def test_a_counter_shown_twice_gets_two_element_ids(world: World) -> None:
    alice = await world.add_user("alice")
    await world.add_order(alice)
    await world.dispatch.wait_idle()
    live = world.harness.live
    live.get_user_id = lambda request: alice
    twice = '{{ live_badge("pending_orders") }} {{ live_badge("pending_orders", label="again") }}'
    env = jinja2.Environment(loader=jinja2.DictLoader({"p.html": twice}))
    live.install_templates(env)
    request = _request()
    await live.prepare(request)
    html = env.get_template("p.html").render(request=request)
    assert html.count('data-counter="pending_orders"') == 2
    # Patches are swapped by id: a repeated id would leave the second badge stale.
    assert 'id="liveui-badge-pending_orders"' in html
    assert 'id="liveui-badge-pending_orders-2"' in html


async def test_an_app_template_overrides_the_default(world: World, tmp_path: Path) -> None:
    (tmp_path / "liveui").mkdir()
    (tmp_path / "liveui" / "badge.html").write_text(
        '<em id="{{ id }}" data-counter="{{ params.counter }}" {{ attrs }}>#{{ state.value }}</em>'
    )
    (tmp_path / "page.html").write_text('{{ live_badge("pending_orders") }}')
    alice = await world.add_user("alice")
    live = world.harness.live
    live.get_user_id = lambda request: alice
    templates = Jinja2Templates(directory=str(tmp_path))
    live.install_templates(templates)
    request = _request()
    await live.prepare(request)
    html = templates.get_template("page.html").render(request=request)
    assert html.startswith('<em id="liveui-badge-pending_orders"') and ">#0</em>" in html


def test_rendering_without_prepare_says_what_to_do() -> None:
    live = LiveUI(node=Node(), secret_key="s", get_user_id=lambda r: None, debug=True)
    env = jinja2.Environment(loader=jinja2.DictLoader({"p.html": "{{ live_badge('x') }}"}))
    live.install_templates(env)
    with pytest.raises(RuntimeError, match=r"await live.prepare\(request\)"):
        env.get_template("p.html").render()


async def test_anonymous_pages_render_no_live_parts() -> None:
    live = LiveUI(node=Node(), secret_key="s", get_user_id=lambda r: None, debug=True)
    templates = Jinja2Templates(env=jinja2.Environment(loader=jinja2.DictLoader({"p.html": PAGE})))
    live.install_templates(templates)

    async def home(request: Request) -> Response:
        await live.prepare(request)
        return templates.TemplateResponse(request, "p.html")

    app = Starlette(routes=[*live.routes(), Route("/", home)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        html = (await client.get("/")).text
        assert "data-counter" not in html and 'name="liveui"' not in html
        assert (await client.get("/static/liveui/liveui.js")).status_code == 200
        assert (await client.get("/static/liveui/liveui.css")).status_code == 200


async def test_custom_components_are_mounted_by_prepare(world: World) -> None:
    class Greeting(LiveComponent):
        name = "test_greeting"
        template = "greeting.html"

        async def mount(self, ctx: Any) -> None:
            self.state = {"who": f"user {ctx.user_id}"}

    live = world.harness.live
    live.get_user_id = lambda request: 42
    env = jinja2.Environment(loader=jinja2.DictLoader({
        "greeting.html": '<p id="{{ id }}" {{ attrs }}>Hi {{ state.who }}</p>',
        "p.html": '{{ live_component("test_greeting", lang="en") }}',
    }))
    live.install_templates(env)
    request = _request()
    await live.prepare(request, Greeting(lang="en"))
    html = env.get_template("p.html").render(request=request)
    assert "Hi user 42" in html and 'data-live="test_greeting"' in html
    with pytest.raises(RuntimeError, match="was not mounted"):
        env.from_string('{{ live_component("test_greeting", lang="fr") }}').render(request=request)
