"""Actions over the live WebSocket: a JSON text frame (htmx `ws-send`) runs the component's
`handle_event`, and the patch comes back on the same socket; a refused action changes nothing.
Over a real uvicorn on loopback."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import jinja2
import websockets
from starlette.applications import Starlette

from liveui import EventRejected, LiveComponent, LiveUI, Node
from liveui.live.session_token import make_token
from liveui.live.specs import encode_specs
from liveui.testing import serve

SECRET = "k"
VALUE = re.compile(r"<i [^>]*>(-?\d+)</i>")


class Dial(LiveComponent):
    """Shows a number an action sets."""

    name = "test_ws_dial"
    template = "dial.html"

    async def mount(self, ctx: Any) -> None:
        self.state.setdefault("n", 0)

    def authorize(self, ctx: Any) -> bool:
        return True

    async def handle_event(self, event: str, data: Any, ctx: Any) -> None:
        if event != "set" or not str(data.get("n", "")).isdigit():
            raise EventRejected(400, "set takes a number")
        self.state = {"n": int(data["n"])}


async def _next_value(ws: Any) -> int:
    async with asyncio.timeout(5):
        while (found := VALUE.search(await ws.recv())) is None:
            pass
        return int(found.group(1))


async def test_an_action_frame_on_the_live_websocket_runs_and_its_patch_comes_back() -> None:
    live = LiveUI(node=Node(), secret_key=SECRET, get_user_id=lambda r: None, debug=True)
    live.install_templates(jinja2.Environment(loader=jinja2.DictLoader(
        {"dial.html": '<i id="{{ id }}" {{ attrs }}>{{ state.n }}</i>'}
    )))
    app = Starlette(routes=live.routes(), lifespan=live.node.lifespan)
    dial = Dial()
    _, token = make_token(SECRET, 5)
    spec = json.dumps(dial.spec())
    with serve(app, timeout_graceful_shutdown=1) as server:
        url = f"{server.ws_url}/liveui/ws?token={token}&c={encode_specs([dial.spec()])}"
        async with websockets.connect(url) as ws:
            assert await _next_value(ws) == 0
            await ws.send(json.dumps({"event": "set", "spec": spec, "n": "not a number"}))
            await ws.send(json.dumps({"event": "set", "spec": spec, "n": "42"}))
            # The refused action sent no patch: the first value back is the second action's.
            assert await _next_value(ws) == 42
