"""The channel lifecycle through liveui.testing, over the real protocol engine."""

from __future__ import annotations

import json
import logging

import pytest

from liveui import Endpoint
from liveui.testing import ANY, ConnectRefused, JoinRefused, connect

from .apps import EchoSocket


async def test_connect_refused(channel_endpoint: Endpoint) -> None:
    with pytest.raises(ConnectRefused):
        await connect(EchoSocket(), {"refuse": "1"}, endpoint=channel_endpoint)


async def test_join_reply_then_pushes_in_order(channel_endpoint: Endpoint) -> None:
    client = await connect(EchoSocket(), {"user": "ann"}, endpoint=channel_endpoint)
    room = await client.join("room:lobby")
    # The join reply is consumed by join(); what the channel pushed during join and after it
    # arrives afterwards, in order.
    kinds = [f.event for f in client.inbox.seen]
    assert kinds[0] == "phx_reply"
    await room.assert_push("pushed_during_join")
    assert await room.assert_push("welcome") == {"room": "lobby"}


async def test_join_refused_and_crashed(channel_endpoint: Endpoint) -> None:
    client = await connect(EchoSocket(), endpoint=channel_endpoint)
    with pytest.raises(JoinRefused) as refused:
        await client.join("room:a", {"deny": True})
    assert refused.value.response == {"reason": "denied"}
    _, reply = await client.join_reply("room:b", {"crash": True})
    assert reply == {"status": "error", "response": {"reason": "join crashed"}}
    # The socket still works after both.
    room = await client.join("room:c")
    await room.assert_reply(await room.push("ping"), "ok", {"pong": True})


async def test_replies(channel_endpoint: Endpoint) -> None:
    client = await connect(EchoSocket(), endpoint=channel_endpoint)
    room = await client.join("room:x")
    await room.assert_reply(await room.push("ping"), "ok", {"pong": True})
    await room.assert_reply(await room.push("status_only"), "ok", {})
    await room.assert_reply(await room.push("fail"), "error", {"reason": "nope"})
    await room.assert_reply(
        await room.push("nonsense"), "error", {"reason": "unknown event", "event": "nonsense"}
    )


async def test_unmatched_topic_and_unjoined_topic(channel_endpoint: Endpoint) -> None:
    client = await connect(EchoSocket(), endpoint=channel_endpoint)
    _, reply = await client.join_reply("nowhere:1")
    assert reply == {"status": "error", "response": {"reason": "unmatched topic"}}
    await client.send_raw(json.dumps(["9", "9", "room:not-joined", "ping", {}]))
    frame = await client.inbox.take(lambda f: f.ref == "9", 1.0)
    assert frame is not None
    assert frame.join_ref is None
    assert frame.payload == {"status": "error", "response": {"reason": "unmatched topic"}}


async def test_broadcast_reaches_everyone_and_broadcast_from_skips_sender(
    channel_endpoint: Endpoint,
) -> None:
    a = await (await connect(EchoSocket(), {"user": "a"}, endpoint=channel_endpoint)).join("room:1")
    b = await (await connect(EchoSocket(), {"user": "b"}, endpoint=channel_endpoint)).join("room:1")
    await a.push("shout", {"text": "hi"})
    assert await a.assert_push("shout") == {"text": "hi"}
    assert await b.assert_push("shout") == {"text": "hi"}
    assert await a.assert_broadcast("shout", {"text": "hi"}) == {"text": "hi"}
    await a.push("whisper", {"text": "psst"})
    await b.assert_push("whisper", {"text": "psst"})
    await a.refute_push("whisper")


async def test_broadcast_frame_is_encoded_once(channel_endpoint: Endpoint) -> None:
    clients = [await connect(EchoSocket(), endpoint=channel_endpoint) for _ in range(3)]
    for c in clients:
        await c.join("room:enc")
    frames: list[object] = []
    for c in clients:
        original = c.connection.transport.send
        c.connection.transport.send = lambda f, o=original: (frames.append(f), o(f))  # type: ignore[method-assign]
    channel_endpoint.broadcast("room:enc", "news", {"n": 1})
    assert len(frames) == 3
    assert frames[0] is frames[1] is frames[2]


async def test_intercepted_broadcast_goes_through_handle_out(channel_endpoint: Endpoint) -> None:
    room = await (await connect(EchoSocket(), endpoint=channel_endpoint)).join("room:i")
    channel_endpoint.broadcast("room:i", "censored", {"text": "secret"})
    assert await room.assert_push("censored") == {"text": "***"}


async def test_crash_gives_phx_error_and_spares_other_channels(channel_endpoint: Endpoint) -> None:
    client = await connect(EchoSocket(), endpoint=channel_endpoint)
    one = await client.join("room:one")
    two = await client.join("room:two")
    await one.push("crash")
    frame = await client.inbox.take(lambda f: f.event == "phx_error", 1.0)
    assert frame is not None
    assert (frame.join_ref, frame.ref, frame.topic) == (one.join_ref, one.join_ref, "room:one")
    await two.assert_reply(await two.push("ping"), "ok", {"pong": True})
    assert "room:one" not in client.connection.channels
    # The crashed topic can be joined again.
    again = await client.join("room:one")
    await again.assert_reply(await again.push("ping"), "ok")


async def test_stop_replies_then_closes(channel_endpoint: Endpoint) -> None:
    client = await connect(EchoSocket(), endpoint=channel_endpoint)
    room = await client.join("room:s")
    await room.assert_reply(await room.push("stop"), "ok", {"bye": True})
    frame = await client.inbox.take(lambda f: f.event == "phx_close", 1.0)
    assert frame is not None and frame.ref == room.join_ref == frame.join_ref
    assert client.connection.channels == {}


async def test_leave_then_events_are_unmatched(channel_endpoint: Endpoint) -> None:
    client = await connect(EchoSocket(), endpoint=channel_endpoint)
    room = await client.join("room:l")
    await room.leave()
    frame = await client.inbox.take(lambda f: f.event == "phx_close", 1.0)
    assert frame is not None and frame.join_ref == room.join_ref
    ref = await room.push("ping")
    await room.assert_reply(ref, "error", {"reason": "unmatched topic"})


async def test_leave_of_unjoined_topic_is_ok(channel_endpoint: Endpoint) -> None:
    client = await connect(EchoSocket(), endpoint=channel_endpoint)
    await client.send_raw(json.dumps(["5", "6", "room:never", "phx_leave", {}]))
    frame = await client.inbox.take(lambda f: f.ref == "6", 1.0)
    assert frame is not None and frame.payload["status"] == "ok"


async def test_duplicate_join_closes_the_old_channel(channel_endpoint: Endpoint) -> None:
    client = await connect(EchoSocket(), endpoint=channel_endpoint)
    first = await client.join("room:d")
    second = await client.join("room:d")
    close = await client.inbox.take(lambda f: f.event == "phx_close", 1.0)
    assert close is not None and close.join_ref == first.join_ref == close.ref
    assert client.connection.channels["room:d"].join_ref == second.join_ref


async def test_stale_join_ref_ignored_null_accepted(channel_endpoint: Endpoint) -> None:
    client = await connect(EchoSocket(), endpoint=channel_endpoint)
    await client.join("room:r")
    await client.send_raw(json.dumps(["stale", "50", "room:r", "ping", {}]))
    await client.send_raw(json.dumps([None, "51", "room:r", "ping", {}]))
    reply = await client.inbox.take(lambda f: f.ref == "51", 1.0)
    assert reply is not None and reply.payload["response"] == {"pong": True}
    assert not [f for f in client.inbox.seen if f.ref == "50"]


async def test_channel_limit(channel_endpoint: Endpoint) -> None:
    client = await connect(EchoSocket(), endpoint=channel_endpoint)
    for i in range(100):
        await client.join(f"room:{i}")
    _, reply = await client.join_reply("room:100")
    assert reply == {"status": "error", "response": {"reason": "too many channels joined"}}


async def test_assigns_are_per_channel(channel_endpoint: Endpoint) -> None:
    client = await connect(EchoSocket(), {"user": "u1"}, endpoint=channel_endpoint)
    one = await client.join("room:a1")
    two = await client.join("room:a2")
    got = await one.assert_reply(await one.push("assign", {"color": "red"}), "ok")
    assert got["color"] == "red" and got["user"] == "u1"
    other = await two.assert_reply(await two.push("assign", {}), "ok")
    assert "color" not in other
    assert "color" not in client.assigns


async def test_binary_payload_round_trip(channel_endpoint: Endpoint) -> None:
    client = await connect(EchoSocket(), endpoint=channel_endpoint)
    room = await client.join("room:bin")
    ref = await room.push_binary("binary", b"\x01\x02\x03")
    assert await room.assert_reply(ref, "ok") == b"\x03\x02\x01"


async def test_disconnect_by_socket_id(channel_endpoint: Endpoint) -> None:
    mine = await connect(EchoSocket(), {"user": "kim"}, endpoint=channel_endpoint)
    other = await connect(EchoSocket(), {"user": "lee"}, endpoint=channel_endpoint)
    channel_endpoint.disconnect("echo_socket:kim")
    assert mine.closed == (1001, "disconnected by the server")
    assert other.closed is None


async def test_a_socket_id_broadcast_other_than_disconnect_is_dropped_and_said_once(
    channel_endpoint: Endpoint, caplog: pytest.LogCaptureFixture
) -> None:
    """The Phoenix guide's `Endpoint.broadcast("users_socket:42", "force_logout", %{})`: no
    client gets it and nothing closes, so one warning names what does."""
    mine = await connect(EchoSocket(), {"user": "kim"}, endpoint=channel_endpoint)
    room = await mine.join("room:kim")
    with caplog.at_level(logging.WARNING, logger="liveui.channels"):
        for _ in range(3):
            channel_endpoint.broadcast("echo_socket:kim", "force_logout", {})
    [said] = [r.getMessage() for r in caplog.records if "force_logout" in r.getMessage()]
    assert 'only "disconnect" closes a socket' in said
    assert "endpoint.disconnect(socket_id)" in said
    assert mine.closed is None
    await room.refute_push("force_logout", timeout=0)
    channel_endpoint.disconnect("echo_socket:kim")
    assert mine.closed == (1001, "disconnected by the server")


async def test_failure_messages_are_readable(channel_endpoint: Endpoint) -> None:
    room = await (await connect(EchoSocket(), endpoint=channel_endpoint)).join("room:m")
    with pytest.raises(AssertionError, match=r"expected a push of 'never'.*welcome"):
        await room.assert_push("never", timeout=0.05)
    with pytest.raises(AssertionError, match=r"expected 'ok'.*got 'error'"):
        await room.assert_reply(await room.push("fail"), "ok")
    ref = await room.push("assign", {"x": 1})
    await room.assert_reply(ref, "ok", {"room": "m", "user": "anon", "params": ANY, "x": 1})
