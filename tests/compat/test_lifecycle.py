"""Channel and connection lifecycle with the real phoenix.js client.

Compatibility cases (docs/protocol.md) 17 to 21 and 23 to 25.
"""

from __future__ import annotations

import pytest

from liveui.testing import free_port, serve

from .app import Compat, CompatApp, token_for
from .bridge import PhoenixClient

pytestmark = pytest.mark.compat

UNMATCHED = {"status": "error", "response": {"reason": "unmatched topic"}}


def _open(client: PhoenixClient, compat: Compat, uid: str, sid: str = "s", **opts: object) -> None:
    client.open_socket(
        sid,
        compat.url(opts.pop("mount", "/socket")),  # type: ignore[arg-type]
        params={"token": token_for(uid)},
        **opts,
    )


def test_heartbeats_keep_the_connection_open(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """Case 17: heartbeats are answered on `phoenix` and count as activity (idle timeout 1 s)."""
    # A heartbeat every 0.25 s leaves a 4x margin under the idle timeout on a loaded machine;
    # 10 of them (2.5 s) outlast two idle timeouts.
    _open(client, compat, uid, mount="/idle", heartbeatIntervalMs=250)
    for _ in range(10):
        frame = client.recv_frame("s", where=lambda f: f[2] == "phoenix")
        assert frame[0] is None and frame[2:] == [
            "phoenix",
            "phx_reply",
            {"status": "ok", "response": {}},
        ]
    assert not client.all("close", socket="s")


def test_a_silent_client_is_closed_with_1001_and_reconnects(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """Case 17: without heartbeats the server closes after idle_timeout with 1001 (come back)."""
    _open(client, compat, uid, mount="/idle", heartbeatIntervalMs=60_000, reconnectAfterMs=[10])
    client.joined("c", "s", f"room:{uid}")
    closed = client.wait("close", socket="s")
    assert (closed["code"], closed["reason"]) == (1001, "idle timeout")
    client.wait("chan_error", channel="c")
    client.wait("open", socket="s")
    assert client.wait("join", channel="c")["status"] == "ok", "rejoined after reconnecting"


def test_event_on_an_unjoined_topic_is_refused(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """Case 18: a push to a topic this socket never joined: `unmatched topic`, null join_ref."""
    _open(client, compat, uid)
    topic = f"room:{uid}"
    ref = client.raw("s", topic, "echo", {"x": 1}, join_ref="1")
    assert client.recv_frame("s", ref) == [None, ref, topic, "phx_reply", UNMATCHED]
    assert not compat.app.recorder.all("push", topic=topic)


def test_leave_replies_ok_then_closes_and_later_events_are_unmatched(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """Case 19: leave → ok reply (its ref) → phx_close (join_ref); the topic is then unjoined."""
    _open(client, compat, uid)
    topic = f"room:{uid}"
    join_ref = client.joined("c", "s", topic)["join_ref"]
    client.send("leave", channel="c", tag="bye")
    assert client.wait("leave", tag="bye")["status"] == "ok"
    client.wait("chan_close", channel="c")
    leave_ref = client.sent_frames("s", "phx_leave")[0][1]
    reply = client.recv_frame("s", leave_ref)
    close = client.recv_frame("s", where=lambda f: f[3] == "phx_close")
    assert reply == [join_ref, leave_ref, topic, "phx_reply", {"status": "ok", "response": {}}]
    assert close == [join_ref, join_ref, topic, "phx_close", {}]
    compat.app.recorder.wait("terminate", topic=topic, join_ref=join_ref, reason="leave")

    ref = client.raw("s", topic, "echo", {}, join_ref=join_ref)
    assert client.recv_frame("s", ref) == [None, ref, topic, "phx_reply", UNMATCHED]
    # Leaving a topic that is not joined is not an error.
    ref = client.raw("s", topic, "phx_leave", {}, join_ref=join_ref)
    assert client.recv_frame("s", ref)[4] == {"status": "ok", "response": {}}


def test_channel_crash_errors_and_the_client_rejoins_with_a_new_join_ref(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """Case 20: an exception in handle_in is phx_error; that channel rejoins; others carry on."""
    _open(client, compat, uid, rejoinAfterMs=[20])
    topic = f"room:{uid}:crashy"
    first = client.joined("c", "s", topic)["join_ref"]
    client.joined("other", "s", f"room:{uid}:other")
    client.push("c", "crash")
    crash = client.recv_frame("s", where=lambda f: f[3] == "phx_error")
    assert crash == [first, first, topic, "phx_error", {"reason": "channel_crash"}]
    client.wait("chan_error", channel="c")
    rejoined = client.wait("join", channel="c")
    assert rejoined["status"] == "ok" and rejoined["join_ref"] != first
    compat.app.recorder.wait("terminate", topic=topic, join_ref=first, reason="crash")
    assert client.call("other", "echo", {"unaffected": True})["response"] == {"unaffected": True}
    assert client.call("c", "echo", {"back": True})["response"] == {"back": True}


def test_server_side_stop_closes_the_channel_without_rejoin(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """Case 21: a `stop` result replies, then phx_close; the client closes the channel for good."""
    _open(client, compat, uid, rejoinAfterMs=[1])
    topic = f"room:{uid}"
    join_ref = client.joined("c", "s", topic)["join_ref"]
    client.joined("other", "s", f"room:{uid}:other")
    assert client.call("c", "stop")["response"] == {"bye": True}
    client.wait("chan_close", channel="c")
    close = client.recv_frame("s", where=lambda f: f[3] == "phx_close")
    assert close == [join_ref, join_ref, topic, "phx_close", {}]
    compat.app.recorder.wait("terminate", topic=topic, join_ref=join_ref, reason="normal")
    # A round trip on another channel, then: closed, removed, nothing scheduled, one join sent.
    assert client.call("other", "echo")["status"] == "ok"
    state = client.state(channel="c")
    assert (state["channel_state"], state["rejoin_scheduled"], state["in_socket"]) == (
        "closed",
        False,
        False,
    )
    assert [f[2] for f in client.sent_frames("s", "phx_join")].count(topic) == 1


def test_stale_join_ref_is_ignored_and_null_is_accepted(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """Case 23: a push or leave naming an old join is dropped silently; a null join_ref counts."""
    _open(client, compat, uid)
    topic = f"room:{uid}"
    join_ref = client.joined("c", "s", topic)["join_ref"]
    stale = client.raw("s", topic, "echo", {"marker": "stale"}, join_ref="999999")
    client.raw("s", topic, "phx_leave", {}, join_ref="999999")
    null = client.raw("s", topic, "echo", {"marker": "null"}, join_ref=None)
    assert client.recv_frame("s", null) == [
        join_ref,
        null,
        topic,
        "phx_reply",
        {"status": "ok", "response": {"marker": "null"}},
    ]
    # Frames are handled in order: the stale ones came first and got nothing.
    assert not [f for f in client.recv_frames("s") if f[1] == stale or f[3] == "phx_close"]
    assert [p["marker"] for p in compat.app.recorder.all("push", topic=topic)] == ["null"]
    assert client.state(channel="c")["channel_state"] == "joined"


def test_transport_close_ends_the_channels_and_reconnect_rejoins_them(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """Case 24: a dropped connection terminates its channels; the client rejoins on reconnect."""
    _open(client, compat, uid, reconnectAfterMs=[10])
    topics = [f"room:{uid}:1", f"room:{uid}:2"]
    refs = [client.joined(f"c{n}", "s", t)["join_ref"] for n, t in enumerate(topics)]
    client.send("drop", socket="s")
    assert client.wait("close", socket="s")["code"] == 1006
    for n, (topic, ref) in enumerate(zip(topics, refs, strict=True)):
        compat.app.recorder.wait("terminate", topic=topic, join_ref=ref, reason="closed")
        client.wait("chan_error", channel=f"c{n}")
    client.wait("open", socket="s")
    for n, ref in enumerate(refs):
        rejoined = client.wait("join", channel=f"c{n}")
        assert rejoined["status"] == "ok" and rejoined["join_ref"] != ref
        assert client.call(f"c{n}", "echo", {"n": n})["response"] == {"n": n}


def test_disconnect_by_socket_id_closes_with_1001_and_connect_may_refuse_the_return(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """Case 25: `Endpoint.disconnect(id)` closes every connection of that id with 1001."""
    for sid in ("s1", "s2"):
        _open(client, compat, uid, sid=sid, reconnectAfterMs=[10, 20, 5000])
        client.joined(sid, sid, f"room:{uid}:{sid}")
    client.open_socket("bystander", compat.url(), params={"token": token_for(f"{uid}-other")})

    compat.app.endpoint.disconnect(f"users_socket:{uid}")
    for sid in ("s1", "s2"):
        assert client.wait("close", socket=sid)["code"] == 1001
        client.wait("open", socket=sid)
        assert client.wait("join", channel=sid)["status"] == "ok"
    assert not [f for f in client.recv_frames("s1") if f[3] == "phx_close"]

    compat.app.revoked.add(uid)  # now connect refuses the user
    compat.app.endpoint.disconnect(f"users_socket:{uid}")
    for sid in ("s1", "s2"):
        assert client.wait("close", socket=sid)["code"] == 1001
        client.wait("ws_error", socket=sid, where=lambda e: "403" in e["message"])
    compat.app.recorder.wait("refused", user_id=uid, reason="revoked", count=2)
    assert not client.all("close", socket="bystander")


def test_server_restart_closes_with_1012_and_the_client_comes_back(
    client: PhoenixClient, uid: str
) -> None:
    """A deploy: the old server closes with 1012; the client reconnects to the new one (same
    port) and rejoins. docs/protocol.md: close with 1001/1011/1012 when the client should return."""
    port = free_port()
    topic = f"room:{uid}"
    first = CompatApp()
    with serve(first.app, port=port) as server:
        client.open_socket(
            "s",
            f"{server.ws_url}/socket",
            params={"token": token_for(uid)},
            reconnectAfterMs=[50, 100, 200],
        )
        join_ref = client.joined("c", "s", topic)["join_ref"]
    assert client.wait("close", socket="s")["code"] == 1012
    first.recorder.wait("terminate", topic=topic, join_ref=join_ref, reason="closed")

    second = CompatApp()
    with serve(second.app, port=port):
        client.wait("open", socket="s", timeout=10)
        rejoined = client.wait("join", channel="c")
        assert rejoined["status"] == "ok" and rejoined["join_ref"] != join_ref
        assert second.recorder.wait("join", topic=topic)[0]["join_ref"] == rejoined["join_ref"]
        assert client.call("c", "echo", {"after": "restart"})["status"] == "ok"
