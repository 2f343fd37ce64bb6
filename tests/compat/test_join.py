"""Joining with the real phoenix.js client: replies, refusals, crashes, timeouts, limits.

Compatibility cases (docs/protocol.md) 6, 7, 8, 9, 13, 22 and 26.
"""

from __future__ import annotations

import pytest

from .app import Compat, token_for
from .bridge import PhoenixClient

pytestmark = pytest.mark.compat


def _open(client: PhoenixClient, compat: Compat, uid: str, **opts: object) -> None:
    client.open_socket("s", compat.url(), params={"token": token_for(uid)}, **opts)


def test_join_ok_payload_reaches_receive_ok(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """Case 6: the join's response is what `.receive("ok")` gets; the frame echoes join_ref."""
    _open(client, compat, uid)
    topic = f"room:{uid}"
    joined = client.joined("c", "s", topic, {"hello": "world"})
    assert joined["response"] == {"joined": topic, "user_id": uid}
    join = client.sent_frames("s", "phx_join")[0]
    assert join[0] == join[1] == joined["join_ref"] and join[4] == {"hello": "world"}
    assert client.recv_frame("s", join[1]) == [
        join[0],
        join[1],
        topic,
        "phx_reply",
        {"status": "ok", "response": {"joined": topic, "user_id": uid}},
    ]
    assert compat.app.recorder.wait("join", topic=topic)[0]["payload"] == {"hello": "world"}


def test_join_error_reaches_receive_error_and_the_client_rejoins_with_backoff(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """Case 7: a refusal payload reaches `.receive("error")`; the client retries on its schedule."""
    _open(client, compat, uid, rejoinAfterMs=[20, 40, 80])
    topic = f"room:{uid}"
    client.channel("c", "s", topic, {"refuse": True})
    client.join("c")
    refs = []
    for tries in (1, 2, 3):
        refused = client.wait("join", channel="c")
        assert refused["status"] == "error"
        assert refused["response"] == {"reason": "refused", "topic": topic}
        refs.append(refused["join_ref"])
        client.wait("rejoin_after", socket="s", tries=tries)
    assert len(set(refs)) == 3, "every rejoin uses a new join_ref"
    assert len(compat.app.recorder.wait("join", topic=topic, count=3)) >= 3


def test_join_crash_gives_join_crashed(client: PhoenixClient, compat: Compat, uid: str) -> None:
    """Case 8: a join handler that raises is an error reply `join crashed`; the socket lives on."""
    _open(client, compat, uid, rejoinAfterMs=[60_000])
    client.channel("bad", "s", f"room:{uid}:bad", {"crash": True})
    client.join("bad")
    crashed = client.wait("join", channel="bad")
    assert (crashed["status"], crashed["response"]) == ("error", {"reason": "join crashed"})
    client.joined("good", "s", f"room:{uid}:good")
    assert client.call("good", "echo", {"n": 1})["response"] == {"n": 1}


def test_unmatched_topic(client: PhoenixClient, compat: Compat, uid: str) -> None:
    """Case 9: a join no route matches is refused `unmatched topic`, with a null join_ref."""
    _open(client, compat, uid, rejoinAfterMs=[60_000])
    topic = f"nowhere:{uid}"
    client.channel("c", "s", topic)
    client.join("c")
    refused = client.wait("join", channel="c")
    assert (refused["status"], refused["response"]) == ("error", {"reason": "unmatched topic"})
    ref = client.sent_frames("s", "phx_join")[0][1]
    assert client.recv_frame("s", ref) == [
        None,
        ref,
        topic,
        "phx_reply",
        {"status": "error", "response": {"reason": "unmatched topic"}},
    ]


def test_join_timeout_sends_leave_and_rejoins(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """Case 13: the first join outlives the client's timeout: it leaves that join and rejoins."""
    _open(client, compat, uid, rejoinAfterMs=[20])
    topic = f"room:{uid}"
    client.channel("c", "s", topic, {"delay_first": 0.5})
    client.join("c", timeout=150)
    assert client.wait("join", channel="c")["status"] == "timeout"
    # While the server is still in the slow join, the client's retries may time out too.
    while (attempt := client.wait("join", channel="c"))["status"] == "timeout":
        pass
    assert attempt["status"] == "ok"

    joins = [f[0] for f in client.sent_frames("s", "phx_join")]
    leaves = [f[0] for f in client.sent_frames("s", "phx_leave")]
    assert len(set(joins)) == len(joins) >= 2, "every rejoin has a new join_ref"
    assert leaves[0] == joins[0], "the leave names the timed-out join"
    assert attempt["join_ref"] == joins[-1]
    seen = compat.app.recorder.wait("join", topic=topic, count=len(joins))
    assert [j["join_ref"] for j in seen] == joins
    # The server did join the slow one, then ended it on the client's leave.
    compat.app.recorder.wait("terminate", topic=topic, join_ref=joins[0], reason="leave")
    assert client.call("c", "echo", {"after": "rejoin"})["status"] == "ok"


def test_duplicate_join_closes_the_old_channel(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """Case 22: a second join of a joined topic closes the first with phx_close (old join_ref)."""
    _open(client, compat, uid)
    topic = f"room:{uid}"
    old = client.joined("c", "s", topic)["join_ref"]
    new = client.raw("s", topic, "phx_join", {}, join_ref="$ref")

    assert client.recv_frame("s", where=lambda f: f[3] == "phx_close") == [
        old,
        old,
        topic,
        "phx_close",
        {},
    ]
    client.wait("chan_close", channel="c")
    assert client.recv_frame("s", new)[4]["status"] == "ok"
    compat.app.recorder.wait("terminate", topic=topic, join_ref=old, reason="duplicate_join")
    assert client.state(channel="c")["channel_state"] == "closed"


def test_the_client_leaves_its_own_duplicate_before_joining(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """Case 22 as phoenix.js does it: a second Channel object for the topic leaves the first."""
    _open(client, compat, uid)
    topic = f"room:{uid}"
    first = client.joined("a", "s", topic)["join_ref"]
    second = client.joined("b", "s", topic)["join_ref"]
    client.wait("chan_close", channel="a")
    assert client.sent_frames("s", "phx_leave")[0][0] == first
    compat.app.recorder.wait("terminate", topic=topic, join_ref=first, reason="leave")
    assert second != first
    assert client.call("b", "echo", {"x": 1})["response"] == {"x": 1}


def test_the_101st_join_is_refused(client: PhoenixClient, compat: Compat, uid: str) -> None:
    """Case 26: 100 channels per connection; the next join gets `too many channels joined`."""
    _open(client, compat, uid, rejoinAfterMs=[60_000])
    for n in range(101):
        client.channel(f"c{n}", "s", f"many:{uid}:{n}")
        client.join(f"c{n}")
    for n in range(100):
        assert client.wait("join", channel=f"c{n}")["status"] == "ok"
    refused = client.wait("join", channel="c100")
    assert (refused["status"], refused["response"]) == (
        "error",
        {"reason": "too many channels joined"},
    )
    # Leaving one frees a slot (the refused channel could join on its next try). phoenix.js
    # answers its own leave "ok" at once (a channel that is leaving cannot push); the slot is
    # free once the server closed the channel, which its phx_close says.
    client.send("leave", channel="c0", tag="l0")
    client.wait("leave", tag="l0")
    client.recv_frame("s", where=lambda f: f[2] == f"many:{uid}:0" and f[3] == "phx_close")
    client.joined("again", "s", f"many:{uid}:again")
