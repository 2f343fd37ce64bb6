"""Bad input over a real WebSocket: each gets a clear error and nothing else is affected.

Every test keeps a bystander connection joined to a room and checks, after the bad input, that
it still gets replies and broadcasts: the server, the other connections and the other channels
keep working.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import websockets
from starlette.applications import Starlette
from websockets.exceptions import ConnectionClosed, InvalidStatus

from liveui import (
    Channel,
    ChannelSettings,
    ChannelSocket,
    ConnectInfo,
    Endpoint,
    Socket,
    SocketInfo,
    TokenError,
    channel,
    error,
    ok,
)
from liveui.testing import LiveServer, serve
from liveui.tokens import sign, verify
from tests.support.phoenix_wire import PhoenixPeer, closed_with

SECRET = "bad-input-secret"
MAX_AGE = 600.0
MIB = 1024 * 1024


class RoomChannel(Channel):
    async def join(self, topic: str, payload: Any, socket: ChannelSocket) -> Any:
        return ok({"room": topic, "mode": payload.get("mode", "plain")})

    async def handle_in(self, event: str, payload: Any, socket: ChannelSocket) -> Any:
        if event == "echo":
            return ok(payload)
        if event == "shout":
            socket.broadcast("shout", payload)
            return ok()
        return await super().handle_in(event, payload, socket)


class PrivateChannel(Channel):
    async def join(self, topic: str, payload: Any, socket: ChannelSocket) -> Any:
        if topic != f"private:{socket.assigns['user_id']}":
            return error({"reason": "unauthorized"})
        return ok()


class UnsendableChannel(Channel):
    """An application bug: a join response that is not JSON."""

    async def join(self, topic: str, payload: Any, socket: ChannelSocket) -> Any:
        return ok({"not json": object()})


class TokenSocket(Socket):
    channels = [
        channel("room:*", RoomChannel),
        channel("private:*", PrivateChannel),
        channel("unsendable:*", UnsendableChannel),
    ]

    async def connect(
        self, params: dict[str, Any], connect_info: ConnectInfo
    ) -> dict[str, Any] | None:
        try:
            data = verify(SECRET, params.get("token") or connect_info.auth_token, max_age=MAX_AGE)
        except TokenError:
            return None
        return {"user_id": data["user"]}

    def id(self, socket: SocketInfo) -> str | None:
        return f"user:{socket.assigns['user_id']}"


@pytest.fixture(scope="module")
def endpoint() -> Endpoint:
    """The endpoint behind `/socket`, with the default limits."""
    return Endpoint()


@pytest.fixture(scope="module")
def server(endpoint: Endpoint) -> Iterator[LiveServer]:
    """`/socket` has the default limits; `/strict` a small frame limit and a slow rate limit."""
    default = endpoint
    strict = Endpoint(settings=ChannelSettings(max_frame_size=4096, rate_limit=1.0, rate_burst=10))

    @contextlib.asynccontextmanager
    async def lifespan(app: object) -> AsyncIterator[None]:
        async with default.node.lifespan(), strict.node.lifespan():
            yield

    app = Starlette(
        routes=[default.mount("/socket", TokenSocket()), strict.mount("/strict", TokenSocket())],
        lifespan=lifespan,
    )
    with serve(app) as srv:
        yield srv


def url(
    server: LiveServer, user: str = "ann", mount: str = "/socket", token: str | None = ""
) -> str:
    token = sign(SECRET, {"user": user}) if token == "" else token
    query = f"token={token}&" if token is not None else ""
    return f"{server.ws_url}{mount}/websocket?{query}vsn=2.0.0"


@pytest.fixture
async def bystander(server: LiveServer) -> AsyncIterator[PhoenixPeer]:
    async with websockets.connect(url(server, "bystander")) as ws:
        peer = PhoenixPeer(ws)
        ref, reply = await peer.join("room:shared")
        assert reply["status"] == "ok"
        peer.join_ref = ref  # type: ignore[attr-defined]
        yield peer
        # The server, this connection and its channel survived whatever the test did.
        echo = await peer.call(ref, "room:shared", "echo", {"still": "here"})
        assert echo == {"status": "ok", "response": {"still": "here"}}
        assert (await peer.call(ref, "room:shared", "shout", {"b": 1}))["status"] == "ok"
        await peer.frame(lambda f: f[3] == "shout" and f[4] == {"b": 1})


async def broadcast_reaches(bystander: PhoenixPeer, server: LiveServer) -> None:
    """Another connection's broadcast still reaches the bystander."""
    async with websockets.connect(url(server, "other")) as ws:
        other = PhoenixPeer(ws)
        ref, _ = await other.join("room:shared")
        await other.call(ref, "room:shared", "shout", {"from": "other"})
    await bystander.frame(lambda f: f[3] == "shout" and f[4] == {"from": "other"})


UNDECODABLE: list[Any] = [
    pytest.param("not json", id="not-json"),
    pytest.param('["1","1","room:x","echo",', id="truncated-json"),
    pytest.param("[" * 50_000 + "]" * 50_000, id="nested-too-deep"),
    pytest.param('["1","1","room:x","echo",{"n":NaN}]', id="nan-literal"),
    pytest.param('["1","1","room:x","echo",{"s":"\\ud800"}]', id="lone-surrogate"),
    pytest.param(b"\x07garbage", id="binary-unknown-kind"),
    pytest.param(b"\x00\x01\x01\x09\x04", id="binary-short-header"),
    pytest.param(b"\x00\x00\x01\x02\x02" + b"1\xff\xfeev", id="binary-bad-utf8"),
]

WRONG_SHAPE: list[Any] = [
    pytest.param(
        {"topic": "room:x", "event": "echo", "payload": {}, "ref": "1"}, id="v1-object-on-v2"
    ),
    pytest.param(["1", "1", "room:x", "echo"], id="four-elements"),
    pytest.param("just a string", id="string"),
    pytest.param(["1", "1", 7, "echo", {}], id="topic-not-string"),
    pytest.param(["1", "1", "", "echo", {}], id="topic-empty"),
    pytest.param(["1", "1", "room:x", None, {}], id="event-null"),
    pytest.param([1.5, "1", "room:x", "echo", {}], id="join-ref-float"),
    pytest.param(["1", {"r": 1}, "room:x", "echo", {}], id="ref-object"),
    pytest.param([True, "1", "room:x", "echo", {}], id="join-ref-bool"),
]


@pytest.mark.parametrize("frame", UNDECODABLE)
async def test_undecodable_frame_closes_with_1007(
    server: LiveServer, bystander: PhoenixPeer, frame: str | bytes
) -> None:
    async with websockets.connect(url(server)) as ws:
        peer = PhoenixPeer(ws)
        _, joined = await peer.join("room:shared")
        assert joined["status"] == "ok"
        await ws.send(frame)
        code, reason = await closed_with(ws)
    assert code == 1007 and reason and reason.startswith("undecodable frame")
    await broadcast_reaches(bystander, server)


@pytest.mark.parametrize("frame", WRONG_SHAPE)
async def test_frame_of_the_wrong_shape_or_types_closes_with_1007(
    server: LiveServer, bystander: PhoenixPeer, frame: Any
) -> None:
    async with websockets.connect(url(server)) as ws:
        await ws.send(json.dumps(frame))
        code, reason = await closed_with(ws)
    assert code == 1007 and reason and reason.startswith("undecodable frame")
    await broadcast_reaches(bystander, server)


async def test_payload_of_an_unexpected_type_reaches_the_channel_not_the_protocol(
    server: LiveServer, bystander: PhoenixPeer
) -> None:
    """Payloads are the application's: a list where a dict was expected is a join crash only."""
    async with websockets.connect(url(server)) as ws:
        peer = PhoenixPeer(ws)
        _, crashed = await peer.join("room:typed", ["not", "an", "object"])
        assert crashed == {"status": "error", "response": {"reason": "join crashed"}}
        ref, joined = await peer.join("room:typed", {"mode": "fine"})
        assert joined["response"] == {"room": "room:typed", "mode": "fine"}
        assert (await peer.call(ref, "room:typed", "echo", [1, 2]))["response"] == [1, 2]


async def test_unknown_event_gets_an_error_reply(
    server: LiveServer, bystander: PhoenixPeer
) -> None:
    async with websockets.connect(url(server)) as ws:
        peer = PhoenixPeer(ws)
        ref, _ = await peer.join("room:a")
        other, _ = await peer.join("room:b")
        assert await peer.call(ref, "room:a", "no_such_event", {}) == {
            "status": "error",
            "response": {"reason": "unknown event", "event": "no_such_event"},
        }
        assert (await peer.call(ref, "room:a", "echo", {"x": 1}))["status"] == "ok"
        assert (await peer.call(other, "room:b", "echo", {"y": 2}))["response"] == {"y": 2}


async def test_unknown_topic_is_unmatched(server: LiveServer, bystander: PhoenixPeer) -> None:
    unmatched = {"status": "error", "response": {"reason": "unmatched topic"}}
    async with websockets.connect(url(server)) as ws:
        peer = PhoenixPeer(ws)
        ref, joined = await peer.join("room:a")
        assert joined["status"] == "ok"
        _, reply = await peer.join("nowhere:1")
        assert reply == unmatched
        push = await peer.send("1", "room:never-joined", "echo", {})
        frame = await peer.frame(lambda f: f[1] == push)
        assert frame == [None, push, "room:never-joined", "phx_reply", unmatched]
        assert (await peer.call(ref, "room:a", "echo", {"ok": 1}))["status"] == "ok"


async def test_frame_over_the_default_limit_closes_with_1009(
    server: LiveServer, bystander: PhoenixPeer
) -> None:
    """The default limit is 1 MiB: a frame of exactly 1 MiB passes, one byte more closes."""
    async with websockets.connect(url(server), max_size=None) as ws:
        peer = PhoenixPeer(ws)
        ref, _ = await peer.join("room:big")
        head = json.dumps([ref, "99", "room:big", "echo", {"pad": ""}])
        pad = "x" * (MIB - len(head))
        await ws.send(json.dumps([ref, "99", "room:big", "echo", {"pad": pad}]))
        assert (await peer.frame(lambda f: f[1] == "99"))[4]["response"]["pad"] == pad
        await ws.send(json.dumps([ref, "100", "room:big", "echo", {"pad": pad + "x"}]))
        # Refused by the server while reading the frame (uvicorn's ws_max_size, set by
        # liveui.uvicorn_options), not after: its reason is the server's own.
        assert (await closed_with(ws))[0] == 1009
    await broadcast_reaches(bystander, server)


async def test_the_frame_limit_counts_bytes_not_characters(
    server: LiveServer, bystander: PhoenixPeer
) -> None:
    """2100 two-byte characters are 4200 bytes on the wire: over the 4096-byte limit."""
    async with websockets.connect(url(server, mount="/strict")) as ws:
        peer = PhoenixPeer(ws)
        ref, _ = await peer.join("room:utf8")
        await ws.send(
            json.dumps([ref, "2", "room:utf8", "echo", {"p": "é" * 2100}], ensure_ascii=False)
        )
        assert await closed_with(ws) == (1009, "frame too large")


async def test_binary_frame_over_the_limit_closes_with_1009(server: LiveServer) -> None:
    async with websockets.connect(url(server, mount="/strict")) as ws:
        await ws.send(b"\x00\x00\x01\x06\x04" + b"1room:xecho" + bytes(5000))
        assert await closed_with(ws) == (1009, "frame too large")


async def test_a_flood_is_rate_limited_then_closed_with_1008(
    server: LiveServer, bystander: PhoenixPeer
) -> None:
    """`/strict` allows a burst of 10 frames, then 1 per second."""
    async with websockets.connect(url(server, mount="/strict")) as flooder:
        peer = PhoenixPeer(flooder)
        ref, joined = await peer.join("room:flood")  # frame 1 of the burst
        assert joined["status"] == "ok"
        refs = [await peer.send(ref, "room:flood", "echo", {"n": n}) for n in range(15)]
        replies = [await peer.reply(r) for r in refs]
        statuses = [r["status"] for r in replies]
        assert statuses[:9] == ["ok"] * 9, "the rest of the burst is served"
        limited = [r for r in replies[9:] if r["status"] == "error"]
        assert limited and all(r["response"] == {"reason": "rate_limited"} for r in limited)
        # Heartbeats are never limited: the client must be able to prove it is alive.
        hb = await peer.send(None, "phoenix", "heartbeat", {})
        assert (await peer.reply(hb))["status"] == "ok"
        # Keeping it up gets the connection closed.
        for n in range(30):
            try:
                await peer.send(ref, "room:flood", "echo", {"more": n})
            except ConnectionClosed:
                break
        assert await closed_with(flooder) == (1008, "rate limit exceeded")
    # A fresh connection of the same user has its own budget.
    async with websockets.connect(url(server, mount="/strict")) as ws:
        peer = PhoenixPeer(ws)
        _, joined = await peer.join("room:flood")
        assert joined["status"] == "ok"
    await broadcast_reaches(bystander, server)


def _expired(user: str) -> str:
    return sign(SECRET, {"user": user}, issued_at=time.time() - 2 * MAX_AGE)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(None, id="missing"),
        pytest.param("garbage", id="garbage"),
        pytest.param(sign("another-secret", {"user": "ann"}), id="wrong-secret"),
        pytest.param(sign(SECRET, {"user": "ann"})[:-2], id="truncated"),
        pytest.param(_expired("ann"), id="expired"),
    ],
)
@pytest.mark.parametrize("via", ["params", "subprotocol"])
async def test_bad_tokens_are_refused_with_403(
    server: LiveServer, bystander: PhoenixPeer, token: str | None, via: str
) -> None:
    if via == "params":
        target, protocols = url(server, token=token), None
    else:
        protocols = ["phoenix"]
        if token is not None:
            encoded = base64.b64encode(token.encode()).decode().rstrip("=")
            protocols.append(f"base64url.bearer.phx.{encoded}")
        target = url(server, token=None)
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(target, subprotocols=protocols):  # type: ignore[arg-type]
            pass
    assert refused.value.response.status_code == 403
    await broadcast_reaches(bystander, server)


async def test_valid_token_in_the_subprotocol_is_accepted(server: LiveServer) -> None:
    encoded = base64.b64encode(sign(SECRET, {"user": "ann"}).encode()).decode().rstrip("=")
    protocols: Any = ["phoenix", f"base64url.bearer.phx.{encoded}"]
    async with websockets.connect(url(server, token=None), subprotocols=protocols) as ws:
        assert ws.subprotocol == "phoenix"
        _, joined = await PhoenixPeer(ws).join("private:ann")
        assert joined["status"] == "ok"


async def test_joining_another_users_private_topic_is_unauthorized(
    server: LiveServer, bystander: PhoenixPeer
) -> None:
    async with websockets.connect(url(server, "ann")) as ws:
        peer = PhoenixPeer(ws)
        _, refused = await peer.join("private:bob")
        assert refused == {"status": "error", "response": {"reason": "unauthorized"}}
        _, own = await peer.join("private:ann")
        assert own["status"] == "ok"


async def test_a_frame_the_transport_cannot_send_closes_with_1011(
    server: LiveServer, endpoint: Endpoint, bystander: PhoenixPeer
) -> None:
    """Server-side data that is not valid UTF-8 (a lone surrogate) cannot go out as text: the
    connections it was for are closed with 1011 (clients reconnect), not left silently dead."""
    async with websockets.connect(url(server, "victim")) as ws:
        peer = PhoenixPeer(ws)
        await peer.join("room:poisoned")
        endpoint.broadcast("room:poisoned", "bad", {"text": "\ud800"})
        assert await closed_with(ws) == (1011, "server could not send a frame")
    async with websockets.connect(url(server, "victim")) as ws:
        peer = PhoenixPeer(ws)
        ref, _ = await peer.join("room:poisoned")
        assert (await peer.call(ref, "room:poisoned", "echo", {"ok": 1}))["status"] == "ok"


async def test_a_join_reply_that_cannot_be_encoded_is_a_join_crash(
    server: LiveServer, bystander: PhoenixPeer
) -> None:
    async with websockets.connect(url(server)) as ws:
        peer = PhoenixPeer(ws)
        _, crashed = await peer.join("unsendable:1")
        assert crashed == {"status": "error", "response": {"reason": "join crashed"}}
        push = await peer.send("1", "unsendable:1", "anything", {})
        assert (await peer.reply(push))["response"] == {"reason": "unmatched topic"}, "not joined"
        ref, _ = await peer.join("room:after")
        assert (await peer.call(ref, "room:after", "echo", {"n": 1}))["status"] == "ok"
