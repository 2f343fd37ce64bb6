"""Actions over the live WebSocket: a JSON text frame (htmx `ws-send`) runs the component's
`handle_event`, and the patch comes back on the same socket; a refused action changes nothing.
Over a real uvicorn on loopback."""

from __future__ import annotations

import asyncio
import gc
import json
import re
import types
from typing import Any

import jinja2
import websockets
from starlette.applications import Starlette

from liveui import EventRejected, LiveComponent, LiveSettings, LiveUI, Node
from liveui.live.session_token import make_token
from liveui.live.specs import encode_specs
from liveui.testing import serve
from tests.support.waiting import wait_until

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


class Echo(LiveComponent):
    """Shows the last value broadcast on its topic."""

    name = "test_ws_echo"
    template = "echo.html"

    async def mount(self, ctx: Any) -> None:
        self.state.setdefault("v", "-")

    def topics(self, user_id: Any) -> list[str]:
        return ["ws-echo"]

    def authorize(self, ctx: Any) -> bool:
        return True

    def handle_info(self, message: Any) -> bool:
        self.state = {"v": message.payload}
        return True


async def test_broadcast_patches_reach_every_tab_as_whole_frames_with_their_own_ids() -> None:
    """Patches written in the broadcaster's call go out as frames encoded by liveui (the
    raw-frames extension of liveui's protocol): each tab's frame carries its own patch id in
    front of the body all tabs share, and nothing is lost, reordered or cut."""
    live = LiveUI(node=Node(), secret_key=SECRET, get_user_id=lambda r: None, debug=True)
    live.install_templates(jinja2.Environment(loader=jinja2.DictLoader(
        {"echo.html": '<p id="{{ id }}" {{ attrs }}>{{ state.v }}</p>'}
    )))
    app = Starlette(routes=live.routes(), lifespan=live.node.lifespan)
    values = ["one", "ü" * 200, "x" * 70_000]  # three frame header sizes
    with serve(app, timeout_graceful_shutdown=1) as server:
        tabs = []
        for user in (1, 2):
            _, token = make_token(SECRET, user)
            url = f"{server.ws_url}/liveui/ws?token={token}&c={encode_specs([Echo().spec()])}"
            tabs.append(await websockets.connect(url, max_size=None))
        shown = re.compile(r"^<!--live:(\S+)-->.*<p [^>]*>([^<]*)</p>", re.S)

        async def frames(ws: Any, count: int) -> list[tuple[str, str]]:
            got: list[tuple[str, str]] = []
            async with asyncio.timeout(5):
                while len(got) < count:
                    if found := shown.match(await ws.recv()):
                        got.append((found.group(1), found.group(2)))
            return got

        for ws in tabs:
            assert [v for _, v in await frames(ws, 1)] == ["-"]
        seen: list[list[tuple[str, str]]] = [[], []]
        for value in values:  # one at a time: values of one loop turn coalesce to the last
            live.node.broadcast("ws-echo", "set", value)
            for got, ws in zip(seen, tabs, strict=True):
                got.extend(await frames(ws, 1))
        for ws in tabs:
            await ws.close()
    for got in seen:
        assert [v for _, v in got] == values
        seqs = [int(event_id.rsplit("-", 1)[1]) for event_id, _ in got]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert [i for i, _ in seen[0]] != [i for i, _ in seen[1]]  # each tab's own ids


def _sender_tasks() -> int:
    """Running or parked runs of the live WebSocket's sender, in any loop of this process."""
    from liveui.live.websocket import _Sender

    code = _Sender._run.__code__
    return sum(1 for o in gc.get_objects()
               if type(o) is types.CoroutineType and o.cr_code is code and o.cr_frame is not None)


def _no_sender() -> bool:
    return _sender_tasks() == 0


def _parked_sender() -> str:
    return f"{_sender_tasks()} sender task(s) still running or parked"


async def test_an_idle_tab_holds_no_sender_task_and_still_gets_pings_patches_and_its_close() -> (
    None
):
    """What the broadcaster cannot write in its call (a heartbeat, the close) starts the tab's
    sender task, which ends once it has written it: an idle tab holds no task."""
    live = LiveUI(node=Node(tick_interval=0.05), secret_key=SECRET, get_user_id=lambda r: None,
                  debug=True, settings=LiveSettings(heartbeat_interval=0.3))
    live.install_templates(jinja2.Environment(loader=jinja2.DictLoader(
        {"echo.html": '<p id="{{ id }}" {{ attrs }}>{{ state.v }}</p>'}
    )))
    app = Starlette(routes=live.routes(), lifespan=live.node.lifespan)
    closed: websockets.ConnectionClosed | None = None
    with serve(app, timeout_graceful_shutdown=2) as server:
        _, token = make_token(SECRET, 1)
        url = f"{server.ws_url}/liveui/ws?token={token}&c={encode_specs([Echo().spec()])}"
        async with websockets.connect(url) as ws:
            async with asyncio.timeout(5):
                while ">-</p>" not in str(await ws.recv()):
                    pass
            await wait_until(_no_sender, describe=_parked_sender)
            for value in ("a", "b"):  # each after a heartbeat: a task started, then ended
                async with asyncio.timeout(5):
                    while str(await ws.recv()) != "<!--live:ping-->":
                        pass
                await wait_until(_no_sender, describe=_parked_sender)
                live.node.broadcast("ws-echo", "set", value)  # written in the broadcaster's call
                async with asyncio.timeout(5):
                    while f">{value}</p>" not in str(await ws.recv()):
                        pass
            server.server.should_exit = True  # the server closes every tab with 1012
            try:
                async with asyncio.timeout(5):
                    while True:
                        await ws.recv()
            except websockets.ConnectionClosed as exc:
                closed = exc
    assert closed is not None and closed.rcvd is not None
    assert closed.rcvd.code == 1012
