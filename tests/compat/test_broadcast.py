"""Broadcasts with the real phoenix.js client. Compatibility cases (docs/protocol.md) 15 and 16."""

from __future__ import annotations

import pytest

from .app import Compat, token_for
from .bridge import PhoenixClient

pytestmark = pytest.mark.compat

SOCKETS = ("a", "b", "c")


def _three_joined(client: PhoenixClient, compat: Compat, uid: str) -> str:
    topic = f"room:{uid}"
    for n, sid in enumerate(SOCKETS):
        client.open_socket(sid, compat.url(), params={"token": token_for(f"{uid}-{n}")})
        client.joined(sid, sid, topic)
    return topic


def test_broadcast_reaches_every_joined_client(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """Case 15: from a channel and from `Endpoint.broadcast`, the sender included, as
    `[null, null, ...]` frames."""
    topic = _three_joined(client, compat, uid)
    client.call("a", "shout", {"from": "a"})
    compat.app.endpoint.broadcast(topic, "news", {"from": "server"})  # from another thread
    for sid in SOCKETS:
        assert client.wait("chan_msg", channel=sid, event="shout")["payload"] == {"from": "a"}
        assert client.wait("chan_msg", channel=sid, event="news")["payload"] == {"from": "server"}
        assert client.recv_frame(sid, where=lambda f: f[3] == "news") == [
            None,
            None,
            topic,
            "news",
            {"from": "server"},
        ]


def test_broadcast_from_excludes_the_sender(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """Case 16: the others get it; the sender does not (a later broadcast proves it is not late)."""
    _three_joined(client, compat, uid)
    client.call("a", "shout_from", {"n": 1})
    client.call("a", "shout", {"n": 2})
    for sid in ("b", "c"):
        assert client.wait("chan_msg", channel=sid, event="shout_from")["payload"] == {"n": 1}
    client.wait("chan_msg", channel="a", event="shout")  # delivered after shout_from would be
    assert not client.all("chan_msg", channel="a", event="shout_from")
