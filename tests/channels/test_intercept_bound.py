"""Intercepted broadcasts share the channel's bounded mailbox: a channel whose `handle_out`
cannot keep up is disconnected (1013, the client reconnects), never fed without bound."""

from __future__ import annotations

import asyncio
from typing import Any

from liveui import Channel, ChannelSettings, ChannelSocket, Endpoint, Node, Socket, channel, ok
from liveui.testing import connect


def stuck_socket(release: asyncio.Event) -> Socket:
    """A socket whose channels intercept "news" and are stuck in `handle_out` until `release`
    (an event of this test's own: a class-level one would stay set for later runs)."""

    class Stuck(Channel):
        intercept = ("news",)

        async def join(self, topic: str, payload: Any, socket: ChannelSocket) -> Any:
            return ok({})

        async def handle_out(self, event: str, payload: Any, socket: ChannelSocket) -> None:
            await release.wait()  # a slow consumer

    class RoomSocket(Socket):
        channels = [channel("room:*", Stuck), channel("other:*", Stuck)]

    return RoomSocket()


async def test_a_full_mailbox_of_intercepted_broadcasts_disconnects() -> None:
    release = asyncio.Event()
    node = Node()
    endpoint = Endpoint(node, settings=ChannelSettings(mailbox_size=5))
    await node.start()
    try:
        slow = await connect(stuck_socket(release), endpoint=endpoint)
        await slow.join("room:a")
        bystander = await connect(stuck_socket(release), endpoint=endpoint)
        await bystander.join("other:b")
        for i in range(20):
            node.broadcast("room:a", "news", {"i": i})
        async with asyncio.timeout(5):
            while slow.closed is None:
                await asyncio.sleep(0.01)
        assert slow.closed == (1013, "channel mailbox full")
        assert bystander.closed is None
    finally:
        release.set()
        await node.stop()
