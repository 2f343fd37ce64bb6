"""A channel's bounded mailbox on the wire (`ChannelSettings.mailbox_size`): while its
`handle_in` is busy, pushes beyond the mailbox are answered `{"reason": "overloaded"}` at once,
the queued ones are answered in order later, and the channel keeps working. Over a real
uvicorn on loopback."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from starlette.applications import Starlette

from liveui import Channel, ChannelSettings, ChannelSocket, Endpoint, Node, Socket, channel, ok
from liveui.testing import serve
from tests.support.phoenix_wire import joined_peer

MAILBOX = 3


def busy_socket(started: threading.Event, release: threading.Event) -> Socket:
    """A socket whose `room:*` channel, on "block", sets `started` and waits for `release`
    (thread events: the server runs its own event loop in another thread)."""

    class BusyChannel(Channel):
        async def join(self, topic: str, payload: Any, socket: ChannelSocket) -> Any:
            return ok({})

        async def handle_in(self, event: str, payload: Any, socket: ChannelSocket) -> Any:
            if event == "block":
                started.set()
                await asyncio.to_thread(release.wait, 10)
            return ok(payload)

    class BusySocket(Socket):
        channels = [channel("room:*", BusyChannel)]

    return BusySocket()


async def test_pushes_beyond_a_busy_channels_mailbox_are_answered_overloaded() -> None:
    started, release = threading.Event(), threading.Event()
    node = Node()
    endpoint = Endpoint(node, settings=ChannelSettings(mailbox_size=MAILBOX))
    app = Starlette(routes=[endpoint.mount("/socket", busy_socket(started, release))],
                    lifespan=node.lifespan)
    with serve(app) as server:
        peer, join_ref = await joined_peer(f"{server.ws_url}/socket/websocket?vsn=2.0.0", "room:a")
        try:
            blocking = await peer.send(join_ref, "room:a", "block", {"n": "blocking"})
            assert await asyncio.to_thread(started.wait, 5), "handle_in never ran"
            queued = [
                await peer.send(join_ref, "room:a", "filler", {"n": i}) for i in range(MAILBOX)
            ]
            refused = [await peer.send(join_ref, "room:a", "extra", {"n": i}) for i in range(2)]
            for ref in refused:
                assert await peer.reply(ref) == {"status": "error",
                                                 "response": {"reason": "overloaded"}}
            # The running "block" left the mailbox: MAILBOX pushes queue behind it, no more.
            assert not any(f[1] in queued for f in peer.pending), peer.pending
            release.set()
            assert (await peer.reply(blocking))["status"] == "ok"
            for i, ref in enumerate(queued):
                assert await peer.reply(ref) == {"status": "ok", "response": {"n": i}}
            after = await peer.send(join_ref, "room:a", "filler", {"n": "after"})
            assert await peer.reply(after) == {"status": "ok", "response": {"n": "after"}}
        finally:
            release.set()
            await peer.ws.close()
