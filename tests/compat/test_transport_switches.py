"""`endpoint.mount(..., websocket=False)` and `longpoll=False` — Phoenix's `socket "/socket",
UserSocket, websocket: true, longpoll: false` — with the real phoenix.js client: the transport
left out is refused, the other one works."""

from __future__ import annotations

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from liveui import Endpoint, Socket

from .app import Compat, token_for
from .bridge import PhoenixClient

pytestmark = pytest.mark.compat


def test_longpoll_false_serves_the_websocket_only(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    topic = f"room:{uid}"
    client.open_socket("ws", compat.url("/wsonly"), params={"token": token_for(uid)})
    assert client.joined("ws", "ws", topic)["response"] == {"joined": topic, "user_id": uid}
    assert client.call("ws", "echo", {"n": 1})["response"] == {"n": 1}
    poll = httpx.get(f"{compat.server.url}/wsonly/longpoll",
                     params={"token": token_for(uid), "vsn": "2.0.0"})
    assert poll.status_code == 404
    # The same handler on /socket still offers both.
    poll = httpx.get(f"{compat.server.url}/socket/longpoll",
                     params={"token": token_for(uid), "vsn": "2.0.0"})
    assert poll.json()["status"] == 410


async def test_websocket_false_refuses_the_upgrade_and_phoenix_js_falls_back_to_longpoll(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    url = f"{compat.url('/lponly')}/websocket?vsn=2.0.0&token={token_for(uid)}"
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(url):
            pass
    assert refused.value.response.status_code == 403

    client.socket("fb", compat.url("/lponly"), longPollFallbackMs=300,
                  params={"token": token_for(uid)})
    client.connect("fb")
    client.wait("ws_connect", socket="fb")
    client.wait("open", socket="fb", timeout=5)
    assert not client.all("ws_open", socket="fb")
    topic = f"room:{uid}"
    assert client.joined("fb", "fb", topic)["response"] == {"joined": topic, "user_id": uid}
    assert client.call("fb", "echo", {"n": 2})["response"] == {"n": 2}
    assert not client.all("ws_open", socket="fb")  # all of it over LongPoll


def test_a_mount_needs_one_transport() -> None:
    with pytest.raises(ValueError, match="needs a transport"):
        Endpoint().mount("/socket", Socket(), websocket=False, longpoll=False)
