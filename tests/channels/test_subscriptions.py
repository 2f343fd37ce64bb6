"""A channel hearing more than its own topic (`socket.subscribe`), and messages sent to channels
from outside (`Endpoint.send_info` to a topic or a socket id) — Phoenix's
`Endpoint.subscribe/1` and `PubSub.broadcast/3` to channel processes."""

from __future__ import annotations

from typing import Any

from liveui import Broadcast, Channel, ChannelSocket, ConnectInfo, Endpoint, Socket, SocketInfo, ok
from liveui import channel as route
from liveui.testing import connect


class NewsChannel(Channel):
    """Subscribes to `news:<payload.feed>`; reports everything `handle_info` gets as `info`."""

    async def join(self, topic: str, payload: Any, socket: ChannelSocket) -> Any:
        socket.subscribe(f"news:{payload['feed']}")
        return ok()

    async def handle_info(self, message: Any, socket: ChannelSocket) -> None:
        if isinstance(message, Broadcast):
            message = {"topic": message.topic, "event": message.event, "payload": message.payload}
        socket.push("info", {"got": message})

    async def handle_in(self, event: str, payload: Any, socket: ChannelSocket) -> Any:
        if event == "unsubscribe":
            socket.unsubscribe(payload["topic"])
        return ok({"subscriptions": socket.subscriptions})


class NewsSocket(Socket):
    channels = [route("reader:*", NewsChannel)]

    async def connect(self, params: dict[str, Any], connect_info: ConnectInfo) -> dict[str, Any]:
        return {"user_id": params["user"]}

    def id(self, socket: SocketInfo) -> str | None:
        return f"readers:{socket.assigns['user_id']}"


async def test_broadcasts_on_a_subscribed_topic_reach_handle_info(
    channel_endpoint: Endpoint,
) -> None:
    client = await connect(NewsSocket(), {"user": "1"}, endpoint=channel_endpoint)
    reader = await client.join("reader:1", {"feed": "sport"})
    channel_endpoint.broadcast("news:sport", "headline", {"title": "goal"})
    got = await reader.assert_push("info")
    assert got["got"] == {"topic": "news:sport", "event": "headline", "payload": {"title": "goal"}}
    # Only handle_info saw it: the broadcast itself was not written to the client.
    await reader.refute_push("headline")
    channel_endpoint.broadcast("news:weather", "headline", {"title": "rain"})
    await reader.refute_push("info")
    reply = await reader.assert_reply(await reader.push("unsubscribe", {"topic": "news:sport"}))
    assert reply == {"subscriptions": []}
    channel_endpoint.broadcast("news:sport", "headline", {"title": "late goal"})
    await reader.refute_push("info")


async def test_send_info_to_a_topic_or_a_socket_id(channel_endpoint: Endpoint) -> None:
    alice = await connect(NewsSocket(), {"user": "alice"}, endpoint=channel_endpoint)
    bob = await connect(NewsSocket(), {"user": "bob"}, endpoint=channel_endpoint)
    a1 = await alice.join("reader:a1", {"feed": "tech"})
    a2 = await alice.join("reader:a2", {"feed": "arts"})
    b1 = await bob.join("reader:b1", {"feed": "tech"})
    # To the channels hearing a topic: their own topic, or one they subscribed to.
    channel_endpoint.send_info("reader:a1", {"only": "a1"})
    assert await a1.assert_push("info") == {"got": {"only": "a1"}}
    channel_endpoint.send_info("news:tech", "tech news")
    assert await a1.assert_push("info") == {"got": "tech news"}
    assert await b1.assert_push("info") == {"got": "tech news"}
    await a2.refute_push("info")
    # To every channel of the connections with a socket id.
    channel_endpoint.send_info("readers:alice", {"reload": True})
    assert await a1.assert_push("info") == {"got": {"reload": True}}
    assert await a2.assert_push("info") == {"got": {"reload": True}}
    await b1.refute_push("info")


async def test_subscriptions_end_with_the_channel(channel_endpoint: Endpoint) -> None:
    hub = channel_endpoint.hub
    client = await connect(NewsSocket(), {"user": "1"}, endpoint=channel_endpoint)
    reader = await client.join("reader:1", {"feed": "finance"})
    assert hub.subscriber_count("news:finance") == 1
    await reader.leave()
    assert hub.subscriber_count("news:finance") == 0
    await client.join("reader:2", {"feed": "finance"})
    await client.close()
    assert hub.subscriber_count("news:finance") == 0
