"""A one-page app for the client-hook browser tests: a probe component whose element names the
`Probe` hook (tests/e2e/templates/hook_probe.html), and the hook itself (served as /probe.js),
which logs its lifecycle into `window.__hookLog`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from liveui import EventRejected, LiveComponent, LiveContext, LiveUI, Node

__all__ = ["HookProbe", "build_app"]

SECRET = "e2e-hooks-secret-of-at-least-32-characters"

PROBE_JS = """
window.__hookLog = [];
window.liveui.hooks.Probe = {
  mounted: function () {
    var hook = this;
    window.__probe = hook;
    window.__hookLog.push('mounted:' + hook.el.getAttribute('data-n'));
    hook.handleEvent('pong', function (payload) {
      window.__hookLog.push('pong:' + JSON.stringify(payload));
    });
  },
  updated: function () { window.__hookLog.push('updated:' + this.el.getAttribute('data-n')); },
  destroyed: function () { window.__hookLog.push('destroyed'); }
};
"""


class HookProbe(LiveComponent):
    name = "hook_probe"
    template = "hook_probe.html"

    async def mount(self, ctx: LiveContext) -> None:
        self.state = {"n": 0, "shown": True}

    async def handle_event(self, event: str, data: Mapping[str, Any], ctx: LiveContext) -> None:
        payload = json.loads(str(data.get("payload") or "null"))
        if event == "bump":
            self.state = {**self.state, "n": self.state["n"] + 1}
        elif event in ("hide", "show"):
            self.state = {**self.state, "shown": event == "show"}
        elif event == "ping":
            ctx.push_event("pong", {"echo": payload, "n": self.state["n"]})
        else:
            raise EventRejected(400, f"hook_probe: no event {event!r}")


def build_app(transport: str) -> Starlette:
    node = Node()
    templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
    live = LiveUI(node=node, secret_key=SECRET, get_user_id=lambda request: "1",
                  transport=transport, templates=templates)  # type: ignore[arg-type]

    async def page(request: Request) -> Response:
        await live.prepare(request, HookProbe())
        return templates.TemplateResponse(request, "hooks_page.html")

    async def probe_js(request: Request) -> Response:
        return Response(PROBE_JS, media_type="text/javascript")

    return Starlette(
        routes=[Route("/", page), Route("/probe.js", probe_js), *live.routes()],
        lifespan=node.lifespan,
    )
