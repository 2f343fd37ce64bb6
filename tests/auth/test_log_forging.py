"""Log forging: every value a client chooses reaches the log escaped, so a newline in it never
starts a line of its own. Driven against a real uvicorn: live component lists, live actions and
events over both transports, channel frames and topics, long-poll parameters. Also: an unknown
component is answered without the list of registered names."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
import websockets

from liveui.testing import LiveServer, serve

from .secure_app import SecureApp, build

FORGED = "x\nCRITICAL liveui.auth: liveui: every login of user 4 revoked (epoch 99)"
FORMAT = logging.Formatter("%(levelname)s %(name)s: %(message)s")


@pytest.fixture
def served() -> Iterator[tuple[SecureApp, LiveServer]]:
    app = build()
    with serve(app.app, timeout_graceful_shutdown=1) as server:
        yield app, server


def specs(*names: str) -> str:
    raw = json.dumps([{"c": name, "p": {}} for name in names]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def forged_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    lines = [FORMAT.format(r) for r in caplog.records if not r.name.startswith("httpx")]
    return [line for line in lines if "\n" in line or line.startswith("CRITICAL")]


async def test_client_text_never_starts_a_log_line(
    served: tuple[SecureApp, LiveServer], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app, server = served
    login = app.revocations.login("forger")
    token = app.live_token(login)
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        # component names and etags in the page's component list
        answer = await client.head("/liveui/sse", params={"token": token, "c": specs(FORGED)})
        assert answer.status_code == 400
        # actions: event names, component specs, fields
        for form in (
            {"event": FORGED, "spec": json.dumps({"c": "auth_test_ticker", "p": {}})},
            {"event": "bump", "spec": json.dumps({"c": FORGED, "p": {}})},
            {"event": "bump", "spec": FORGED},
        ):
            answer = await client.post("/liveui/event", data=form,
                                       headers={"X-LiveUI-Token": token})
            assert 400 <= answer.status_code < 500
        # long-poll parameters
        answer = await client.get("/socket/longpoll", params={"vsn": FORGED})
        assert answer.status_code < 500
    live = f"{server.ws_url}/liveui/ws?token={token}&c={app.specs()}"
    async with websockets.connect(live, origin=None) as ws:
        await ws.send(json.dumps({"liveui": FORGED}))
        await ws.send(json.dumps({"event": FORGED, "spec": {"c": FORGED, "p": {}}}))
        await ws.send(json.dumps({"liveui": "hidden"}))  # answered: the frames above were read
    sock = f"{server.ws_url}/socket/websocket?vsn=2.0.0&token={app.socket_token(login)}"
    async with websockets.connect(sock, origin=None) as ws:
        await ws.send(json.dumps(["1", "1", FORGED, "phx_join", {}]))
        assert json.loads(await ws.recv())[4]["status"] == "error"
        await ws.send(json.dumps(["1", "2", "room:lobby", FORGED, {}]))
        await ws.recv()
        await ws.send('["1", "3", ' + json.dumps(FORGED) + ", 4")  # undecodable
        with pytest.raises(websockets.ConnectionClosed):
            await ws.recv()
    assert caplog.records, "nothing was logged: the probes did not reach the log"
    assert forged_lines(caplog) == []


async def test_an_unknown_component_is_named_without_the_registered_ones(
    served: tuple[SecureApp, LiveServer],
) -> None:
    app, server = served
    token = app.live_token(app.revocations.login("names"))
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        answer = await client.get("/liveui/sse", params={"token": token, "c": specs("nope")})
    assert answer.status_code == 400
    assert "unknown component 'nope'" in answer.text
    assert "auth_test_ticker" not in answer.text
