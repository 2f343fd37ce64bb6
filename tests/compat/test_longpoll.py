"""The LongPoll transport with the real phoenix.js client (its own `LongPoll` class, over
Node's fetch): open, join, push, broadcasts to and from WebSocket clients, the server ending a
session, a refused connect, and `longPollFallbackMs` when the WebSocket is blocked. Then the
session's bounds, driven with plain HTTP: the poll window, expiry, the outbound buffer and bad
input."""

from __future__ import annotations

import time

import httpx
import pytest

from .app import Compat, token_for
from .bridge import PhoenixClient

pytestmark = pytest.mark.compat


def _open_longpoll(client: PhoenixClient, sid: str, url: str, user: str) -> None:
    client.socket(sid, url, transport="LongPoll", params={"token": token_for(user)})
    client.connect(sid)
    client.wait("open", socket=sid)


def test_open_join_push_and_replies(client: PhoenixClient, compat: Compat, uid: str) -> None:
    _open_longpoll(client, "lp", compat.url(), uid)
    first = client.wait("poll_request", socket="lp", method="GET")
    assert first["token"] is None
    assert client.wait("poll_response", socket="lp", method="GET")["status"] == 410  # = opened
    assert client.wait("poll_request", socket="lp", method="GET")["token"].startswith("lp1.")
    topic = f"room:{uid}"
    join = client.joined("room", "lp", topic, {"welcome": True})
    assert join["response"] == {"joined": topic, "user_id": uid}
    assert client.wait("chan_msg", channel="room", event="during_join")["payload"] == {
        "topic": topic
    }
    client.wait("chan_msg", channel="room", event="welcome")
    assert client.call("room", "echo", {"n": 1}) == {
        "t": "reply", "tag": client.all("reply")[-1]["tag"], "status": "ok", "response": {"n": 1}
    }
    assert client.call("room", "fail")["response"] == {"reason": "nope"}
    # Frames arrive as the serialized V2 frames the WebSocket would carry.
    assert client.recv_frame("lp", where=lambda f: f[3] == "welcome")[2] == topic
    compat.app.recorder.wait("push", topic=topic, event="echo")
    # Pushes went out as ndjson POSTs, answered 200.
    assert client.wait("poll_response", socket="lp", method="POST")["status"] == 200


def test_broadcasts_between_longpoll_and_websocket_clients(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    topic = f"room:{uid}"
    _open_longpoll(client, "lp", compat.url(), f"{uid}-lp")
    client.open_socket("ws", compat.url(), params={"token": token_for(f"{uid}-ws")})
    client.joined("lp", "lp", topic)
    client.joined("ws", "ws", topic)
    client.call("lp", "shout", {"from": "lp"})
    assert client.wait("chan_msg", channel="ws", event="shout")["payload"] == {"from": "lp"}
    assert client.wait("chan_msg", channel="lp", event="shout")["payload"] == {"from": "lp"}
    client.call("ws", "shout_from", {"from": "ws"})
    assert client.wait("chan_msg", channel="lp", event="shout_from")["payload"] == {"from": "ws"}
    compat.app.endpoint.broadcast(topic, "news", {"n": 1})
    for cid in ("lp", "ws"):
        assert client.wait("chan_msg", channel=cid, event="news")["payload"] == {"n": 1}


def test_the_client_reconnects_when_the_server_ends_its_session(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    topic = f"room:{uid}"
    _open_longpoll(client, "lp", compat.url(), uid)
    client.wait("poll_response", socket="lp", method="GET", status=410)  # the opening one
    client.joined("room", "lp", topic)
    compat.app.endpoint.disconnect(f"users_socket:{uid}")  # as on logout: the session ends
    # The waiting poll answers 410: the client drops the session, reconnects, rejoins.
    client.wait("poll_response", socket="lp", method="GET", status=410)
    client.wait("close", socket="lp")
    client.wait("open", socket="lp")
    compat.app.recorder.wait("join", topic=topic, count=2)
    compat.app.recorder.wait("terminate", topic=topic, reason="closed")
    client.call("room", "shout", {"again": True})
    assert client.wait("chan_msg", channel="room", event="shout")["payload"] == {"again": True}


def test_a_client_that_goes_away_leaves(client: PhoenixClient, compat: Compat, uid: str) -> None:
    """Closing the socket aborts the waiting poll, which ends the session at once; a close that
    catches the client between two polls (the next one not sent yet) is ended by the session
    expiry instead (0.6 s on `/lp`). Either way its presence leaves, on a WebSocket client of
    the same node."""
    topic = f"lobby:{uid}"
    client.open_socket("ws", compat.url("/lp"), params={"token": token_for(f"{uid}-ws")})
    client.channel("ws", "ws", topic)
    client.presence("ws", "ws")
    client.join("ws")
    _open_longpoll(client, "lp", compat.url("/lp"), f"{uid}-lp")
    client.joined("lp", "lp", topic)
    client.wait_presence("ws", {f"{uid}-ws": ["None"], f"{uid}-lp": ["None"]})
    client.send("disconnect", socket="lp")
    client.wait_presence("ws", {f"{uid}-ws": ["None"]}, timeout=5)


def test_a_refused_connect_is_403_and_closes_with_1008(
    client: PhoenixClient, compat: Compat
) -> None:
    client.socket("lp", compat.url(), transport="LongPoll", params={"token": "forged"},
                  reconnectAfterMs=[60_000])
    client.connect("lp")
    assert client.wait("poll_response", socket="lp", method="GET")["status"] == 403
    assert client.wait("close", socket="lp")["code"] == 1008
    assert not client.all("open", socket="lp")


def test_fallback_from_a_blocked_websocket(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """A proxy that never answers the upgrade: after `longPollFallbackMs` phoenix.js switches to
    LongPoll on the same endpoint, and everything works as before."""
    topic = f"lobby:{uid}"
    client.socket("fb", compat.url("/blocked"), longPollFallbackMs=300,
                  params={"token": token_for(f"{uid}-fb")})
    client.connect("fb")
    client.wait("ws_connect", socket="fb")
    client.wait("open", socket="fb", timeout=5)
    assert not client.all("ws_open", socket="fb")
    client.channel("fb", "fb", topic)
    client.presence("fb", "fb")
    client.join("fb")
    assert client.wait("join", channel="fb")["status"] == "ok"
    client.open_socket("ws", compat.url(), params={"token": token_for(f"{uid}-ws")})
    client.channel("ws", "ws", topic)
    client.join("ws")
    # Presence across the two transports: each sees both.
    everyone = {f"{uid}-fb": ["None"], f"{uid}-ws": ["None"]}
    client.wait_presence("fb", everyone)
    client.send("disconnect", socket="ws")
    client.wait_presence("fb", {f"{uid}-fb": ["None"]})


# plain HTTP: the session's bounds ---------------------------------------------------------------
def _lp(compat: Compat) -> str:
    return f"{compat.server.url}/lp/longpoll"


def _new_session(http: httpx.Client, compat: Compat, user: str) -> str:
    body = http.get(_lp(compat), params={"token": token_for(user), "vsn": "2.0.0"}).json()
    assert body["status"] == 410 and body["token"].startswith("lp1.")
    return str(body["token"])


def _post(http: httpx.Client, compat: Compat, token: str, *frames: str) -> int:
    response = http.post(
        _lp(compat), params={"token": token}, content="\n".join(frames),
        headers={"content-type": "application/x-ndjson"},
    )
    assert response.status_code == 200
    return int(response.json()["status"])


def test_a_poll_waits_its_window_and_an_unpolled_session_expires(
    compat: Compat, uid: str
) -> None:
    with httpx.Client(timeout=5) as http:
        token = _new_session(http, compat, uid)
        started = time.monotonic()
        assert http.get(_lp(compat), params={"token": token}).json() == {
            "status": 204, "token": token
        }
        assert 0.25 <= time.monotonic() - started < 3  # the 0.3 s window, on a 0.05 s ticker
        # A heartbeat is buffered and handed to the next poll at once.
        assert _post(http, compat, token, '[null,"1","phoenix","heartbeat",{}]') == 200
        body = http.get(_lp(compat), params={"token": token}).json()
        assert body == {
            "status": 200,
            "token": token,
            "messages": ['[null,"1","phoenix","phx_reply",{"status":"ok","response":{}}]'],
        }
        # Unpolled past the session timeout (0.6 s): its channels end, its token is refused.
        topic = f"room:{uid}"
        assert _post(http, compat, token, f'["1","1","{topic}","phx_join",{{}}]') == 200
        last_activity = time.monotonic()
        compat.app.recorder.wait("terminate", topic=topic, reason="closed")
        assert time.monotonic() - last_activity > 0.55
        assert http.get(_lp(compat), params={"token": token}).json() == {"status": 410}


def test_the_outbound_buffer_is_bounded(compat: Compat, uid: str) -> None:
    """20 frames buffered at most: a client that does not poll loses its session, not the
    server its memory; the next poll says 410 and phoenix.js would reconnect."""
    with httpx.Client(timeout=5) as http:
        token = _new_session(http, compat, uid)
        topic = f"room:{uid}"
        assert _post(http, compat, token, f'["1","1","{topic}","phx_join",{{}}]') == 200
        pushes = [f'["1","{n}","{topic}","push_me",{{"n":{n}}}]' for n in range(2, 40)]
        _post(http, compat, token, *pushes)
        compat.app.recorder.wait("terminate", topic=topic, reason="closed")
        assert http.get(_lp(compat), params={"token": token}).json() == {"status": 410}


def test_bad_input_ends_that_session_only(compat: Compat, uid: str) -> None:
    with httpx.Client(timeout=5) as http:
        bad = _new_session(http, compat, f"{uid}-bad")
        good = _new_session(http, compat, f"{uid}-good")
        assert _post(http, compat, bad, "%%% not a frame") == 410
        assert http.get(_lp(compat), params={"token": bad}).json() == {"status": 410}
        assert _post(http, compat, "lp1.unknown", '[null,"1","phoenix","heartbeat",{}]') == 410
        too_many = ['[null,"1","phoenix","heartbeat",{}]'] * 101
        other = _new_session(http, compat, f"{uid}-other")
        assert _post(http, compat, other, *too_many) == 410
        # The bystander still works.
        assert _post(http, compat, good, '[null,"9","phoenix","heartbeat",{}]') == 200
        body = http.get(_lp(compat), params={"token": good}).json()
        assert body["status"] == 200 and '"9"' in body["messages"][0]
        refused = http.get(_lp(compat), params={"token": "forged", "vsn": "2.0.0"}).json()
        assert refused == {"status": 403}
        bad_vsn = http.get(_lp(compat), params={"token": token_for(uid), "vsn": "9.0.0"}).json()
        assert bad_vsn == {"status": 403}
