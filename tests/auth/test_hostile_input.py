"""No 5xx from client input: property-based tests over channel frames, live specs, live
events, Last-Event-ID and path/form values. Every answer is a 2xx or a 4xx with a short fixed
text (no Python exception text), the server logs no traceback, and a bystander keeps working."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
import websockets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.exceptions import HTTPException

from liveui import Endpoint, Node, SpecError
from liveui.live.specs import decode_specs
from liveui.testing import LiveServer, connect, serve
from tests.support.server_log import server_log

from .secure_app import AuthSocket, SecureApp, build

EXAMPLES = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
PYTHON_ERROR_WORDS = ("Traceback", "Error(", "line ", "object has no attribute", "codec")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
hostile_text = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["[" * 10_000, "{" * 5000, '{"c":' * 3000, "1" * 5000, "²", "NaN", "-0"]),
    json_values.map(json.dumps),
)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[SecureApp, LiveServer]]:
    app = build()
    with serve(app.app, timeout_graceful_shutdown=1) as server:
        yield app, server


@pytest.fixture
def errors(
    served: tuple[SecureApp, LiveServer], caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    caplog.set_level(logging.INFO, logger="liveui")
    caplog.set_level(logging.INFO, logger="uvicorn.error")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with server_log(caplog):
        yield
    tracebacks = [
        r
        for r in caplog.get_records("call")  # the test's: teardown has its own
        if (r.exc_info or r.levelno >= logging.ERROR) and not r.name.startswith("httpx")
    ]
    assert tracebacks == [], [r.getMessage() for r in tracebacks]


def assert_client_error(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:200])
    assert len(response.text) < 300
    assert not any(word in response.text for word in PYTHON_ERROR_WORDS), response.text


def b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode("utf-8", "surrogatepass")).decode().rstrip("=")


@EXAMPLES
@given(text=hostile_text)
def test_any_component_list_decodes_or_is_a_spec_error(text: str) -> None:
    for encoded in (text, b64(text)):
        try:
            decode_specs(encoded, limit=64)
        except SpecError as exc:
            assert len(str(exc)) <= 200


@EXAMPLES
@given(
    specs=hostile_text,
    last_event_id=st.text(max_size=40) | st.sampled_from(["x-²", "1" * 5000]),
)
def test_live_connect_never_answers_5xx(
    served: tuple[SecureApp, LiveServer], errors: None, specs: str, last_event_id: str
) -> None:
    app, server = served
    token = app.live_token(app.revocations.login("hypothesis"))
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for c in (specs, b64(specs), app.specs()):
            params = {"token": token, "c": c, "last_event_id": last_event_id}
            assert_client_error(client.head("/liveui/sse", params=params))
        bad_token = client.head("/liveui/sse", params={"token": specs[:500], "c": app.specs()})
        assert bad_token.status_code == 403


@EXAMPLES
@given(
    event=st.text(max_size=30),
    spec=hostile_text,
    extra=st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=30), max_size=5),
)
def test_live_events_never_answer_5xx(
    served: tuple[SecureApp, LiveServer],
    errors: None,
    event: str,
    spec: str,
    extra: dict[str, str],
) -> None:
    app, server = served
    token = app.live_token(app.revocations.login("hypothesis-events"))
    form = {**extra, "event": event, "spec": spec}
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for data in (form, {**form, "spec": '{"c":"auth_test_ticker","p":{}}', "event": "bump"}):
            try:
                body = httpx.QueryParams(data).__str__().encode()
            except Exception:
                continue
            response = client.post(
                "/liveui/event",
                content=body,
                headers={
                    "X-LiveUI-Token": token,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            assert response.status_code != 429 or response.headers["retry-after"]
            assert_client_error(response)


@EXAMPLES
@given(frames=st.lists(hostile_text | st.binary(max_size=100), min_size=1, max_size=5))
async def test_channel_frames_never_crash_a_connection_or_a_bystander(frames: list[object]) -> None:
    node = Node()
    endpoint = Endpoint(node)
    await node.start()
    try:
        socket = AuthSocket(node.revocations)
        tokens = [SecureApp.socket_token(node.revocations.login(u)) for u in ("1", "2")]
        attacker = await connect(socket, {"token": tokens[0]}, endpoint=endpoint)
        bystander = await connect(socket, {"token": tokens[1]}, endpoint=endpoint)
        room = await bystander.join("room:lobby")
        await attacker.join("room:lobby")
        for frame in frames:
            await attacker.connection.receive(frame)  # type: ignore[arg-type]
        ref = await room.push("echo", {"still": "here"})
        await room.assert_reply(ref, "ok", {"still": "here"})
    finally:
        await node.stop()


@pytest.mark.parametrize("door", ["live", "socket"])
async def test_a_text_frame_that_is_not_utf8_closes_1007_with_one_quiet_line(
    served: tuple[SecureApp, LiveServer], caplog: pytest.LogCaptureFixture, door: str
) -> None:
    app, server = served
    caplog.set_level(logging.DEBUG)
    login = app.revocations.login(f"utf8-{door}")
    url = {
        "live": f"{server.ws_url}/liveui/ws?token={app.live_token(login)}&c={app.specs()}",
        "socket": f"{server.ws_url}/socket/websocket?vsn=2.0.0&token={app.socket_token(login)}",
    }[door]
    with server_log(caplog):
        async with websockets.connect(url, origin=None) as ws:
            await ws.send(b'["1","1","room:lobby","phx_join",{"\xff\xfe":1}]', text=True)
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await ws.recv()
    assert ws.close_code == 1007
    loud = [r for r in caplog.records if r.exc_info or r.levelno >= logging.WARNING]
    assert loud == [], [r.getMessage() for r in loud]
    assert not any("UTF-8" in r.getMessage() and r.name.startswith("uvicorn")
                   for r in caplog.records)


@EXAMPLES
@given(raw=st.text(max_size=40) | st.sampled_from(["9" * 23, "1" * 5000, "²", "-1", "0x10"]))
def test_demo_path_ids_are_numbers_or_404(raw: str) -> None:
    from starlette.requests import Request

    from demo.pages import MAX_ID_DIGITS, _id

    request = Request({"type": "http", "path_params": {"id": raw}, "headers": []})
    try:
        value = _id(request)
    except HTTPException as exc:
        assert exc.status_code == 404
        return
    assert 0 <= value < 10**MAX_ID_DIGITS


@EXAMPLES
@given(
    raw=st.none() | st.text(max_size=40) | st.sampled_from(["nan", "inf", "-inf", "1e999", "abc"])
)
def test_demo_intervals_are_finite_and_bounded_or_refused(raw: str | None) -> None:
    import math

    from demo.pages import _interval
    from demo.services import ActionError

    try:
        value = _interval(raw)
    except ActionError as exc:
        assert exc.status == 400
        return
    assert math.isfinite(value) and 0.1 <= value <= 3600
