"""Pushes and replies with the real phoenix.js client, text and binary.

Compatibility cases (docs/protocol.md) 10, 11, 12, 14 and 27.
"""

from __future__ import annotations

import base64

import pytest

from .app import Compat, token_for
from .bridge import PhoenixClient

pytestmark = pytest.mark.compat


def _bin(data: bytes) -> dict[str, str]:
    return {"$bin": base64.b64encode(data).decode()}


def _open(client: PhoenixClient, compat: Compat, uid: str) -> None:
    client.open_socket("s", compat.url(), params={"token": token_for(uid)})


def test_push_before_join_is_buffered_and_sent_after_the_join_ok(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """Case 10: pushes made before the join completes go out after its ok, with new refs."""
    topic = f"room:{uid}"
    client.socket("s", compat.url(), params={"token": token_for(uid)})
    client.channel("c", "s", topic)
    client.join("c")
    expired = client.push("c", "echo", {"marker": "expired"}, timeout=30)
    assert client.wait("reply", tag=expired)["status"] == "timeout"
    kept = client.push("c", "echo", {"marker": "kept"})
    client.connect("s")  # only now does anything reach the server

    assert client.wait("reply", tag=kept)["response"] == {"marker": "kept"}
    join_reply = client.wait("recv", socket="s", where=lambda e: e["frame"][3] == "phx_reply")
    push_sent = client.wait("sent", socket="s", where=lambda e: e["frame"][3] == "echo")
    assert client.index(join_reply) < client.index(push_sent), "sent after the join's ok"
    join_frame = client.sent_frames("s", "phx_join")[0]
    assert push_sent["frame"][0] == join_frame[0]
    assert int(push_sent["frame"][1]) > int(join_frame[1]), "a fresh ref, made when sent"
    # The server saw the kept push only: the expired one was never sent.
    pushes = compat.app.recorder.wait("push", topic=topic)
    assert [p["marker"] for p in pushes] == ["kept"]
    assert len(client.sent_frames("s", "echo")) == 1


def test_push_replies_ok_error_and_status_only(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """Case 11: the reply's status selects the `.receive(status)` hook; any status string works."""
    _open(client, compat, uid)
    client.joined("c", "s", f"room:{uid}")
    ok = client.call("c", "echo", {"n": 1})
    assert (ok["status"], ok["response"]) == ("ok", {"n": 1})
    err = client.call("c", "fail")
    assert (err["status"], err["response"]) == ("error", {"reason": "nope"})
    custom = client.call("c", "custom_status", statuses=["accepted"])
    assert (custom["status"], custom["response"]) == ("accepted", {})
    unknown = client.call("c", "no_such_event")
    assert unknown["status"] == "error" and unknown["response"]["reason"] == "unknown event"


def test_push_timeout_when_the_server_never_replies(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """Case 12: a handler returning None sends nothing; the client's timeout fires locally."""
    _open(client, compat, uid)
    topic = f"room:{uid}"
    client.joined("c", "s", topic)
    silent = client.push("c", "noreply", {"marker": "silent"}, timeout=100)
    assert client.wait("reply", tag=silent)["status"] == "timeout"
    assert compat.app.recorder.wait("push", topic=topic, marker="silent")
    ref = client.sent_frames("s", "noreply")[0][1]
    assert not [f for f in client.recv_frames("s") if f[1] == ref]
    assert client.call("c", "echo", {"still": "working"})["status"] == "ok"


def test_server_push_reaches_channel_on(client: PhoenixClient, compat: Compat, uid: str) -> None:
    """Case 14: `socket.push` and after-join pushes arrive as `[join_ref, null, ...]` events."""
    _open(client, compat, uid)
    topic = f"room:{uid}"
    join_ref = client.joined("c", "s", topic, {"welcome": True})["join_ref"]
    welcome = client.wait("chan_msg", channel="c", event="welcome")
    assert welcome["payload"] == {"topic": topic}
    assert client.call("c", "push_me", {"x": 42})["response"] == {"queued": True}
    assert client.wait("chan_msg", channel="c", event="pushed")["payload"] == {"x": 42}
    pushed = client.recv_frame("s", where=lambda f: f[3] == "pushed")
    assert pushed == [join_ref, None, topic, "pushed", {"x": 42}]
    # The join reply went out before the after-join push.
    order = [f[3] for f in client.recv_frames("s") if f[2] == topic]
    assert order[:3] == ["phx_reply", "during_join", "welcome"]


def test_binary_push_reply_and_broadcast_round_trip(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """Case 27: an ArrayBuffer push reaches the server as bytes; binary reply, push, broadcast."""
    _open(client, compat, uid)
    topic = f"room:{uid}"
    client.joined("c", "s", topic)
    data = bytes(range(256)) + "ünï".encode()
    tag = client.push("c", "binary", _bin(data))
    reply = client.wait("reply", tag=tag)
    assert (reply["status"], reply["response"]) == ("ok", _bin(data[::-1]))
    assert client.wait("chan_msg", channel="c", event="bin_pushed")["payload"] == _bin(data + b"!")
    assert client.wait("chan_msg", channel="c", event="bin_broadcast")["payload"] == _bin(
        b"all:" + data
    )

    sent = client.wait("sent", socket="s", where=lambda e: "$bin" in e["frame"])["frame"]
    raw = base64.b64decode(sent["$bin"])
    assert raw[0] == 0 and raw.endswith(data), "the client sent a binary push (kind 0)"
    kinds = sorted(
        base64.b64decode(e["frame"]["$bin"])[0]
        for e in client.all("recv", socket="s")
        if "$bin" in e["frame"]
    )
    assert kinds == [0, 1, 2], "push, reply and broadcast frames"
