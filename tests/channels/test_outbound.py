"""The outbound path of the WebSocket transport: frames written at once while the socket takes
them, a bounded queue behind a writer task only while it does not, and the slow-consumer policy
(close with 1013 when that queue overflows)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from starlette.applications import Starlette

from liveui import (
    Channel,
    ChannelSettings,
    ChannelSocket,
    Endpoint,
    Node,
    Socket,
    UvicornWebSocketProtocol,
    channel,
    ok,
)
from liveui._utils import start_eagerly
from liveui.channels.transports.websocket import WebSocketTransport
from liveui.testing import serve
from tests.support.phoenix_wire import joined_peer
from tests.support.waiting import wait_until


class RoomChannel(Channel):
    async def join(self, topic: str, payload: Any, socket: ChannelSocket) -> Any:
        return ok({})


class RoomSocket(Socket):
    channels = [channel("room:*", RoomChannel)]


async def joined(url: str, **options: Any) -> Any:
    peer, _ = await joined_peer(url, "room:a", **options)
    return peer.ws


# Both ways out: liveui's uvicorn protocol (raw frames) and stock uvicorn (the ASGI send).
SERVERS = pytest.mark.parametrize("ws", [UvicornWebSocketProtocol, "websockets-sansio"])


@SERVERS
async def test_a_consumer_that_stops_reading_is_closed_with_1013_and_bystanders_keep_up(
    ws: Any,
) -> None:
    endpoint = Endpoint(Node(), settings=ChannelSettings(outbound_queue_size=4))
    app = Starlette(
        routes=[endpoint.mount("/socket", RoomSocket())], lifespan=endpoint.node.lifespan
    )
    pad = "x" * 65536
    # 300 x 64 KB is far more than what the loopback socket buffers of a reader that stopped
    # can hold, so its writer must block and its queue of 4 overflow.
    count = 300
    with serve(app, ws=ws) as srv:
        url = f"{srv.ws_url}/socket/websocket?vsn=2.0.0"
        slow = await joined(url, max_queue=1, max_size=None)  # stops reading after one frame
        fast = await joined(url, max_size=None)
        for i in range(count):
            endpoint.node.broadcast("room:a", "big", {"i": i, "pad": pad})
            frame = json.loads(await asyncio.wait_for(fast.recv(), 10))
            assert frame[3:] == ["big", {"i": i, "pad": pad}]
        received: list[int] = []
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                received.append(json.loads(await asyncio.wait_for(slow.recv(), 10))[4]["i"])
        await fast.close()
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1013, "outbound queue full")
    # In order and without gaps up to the close: frames are dropped only by closing.
    assert received == list(range(len(received)))
    assert 0 < len(received) < count


@SERVERS
async def test_broadcasts_of_every_frame_length_arrive_whole_and_skip_the_asgi_send_if_raw(
    ws: Any,
) -> None:
    endpoint = Endpoint(Node())
    inner = Starlette(
        routes=[endpoint.mount("/socket", RoomSocket())], lifespan=endpoint.node.lifespan
    )
    through_send: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        async def counting_send(message: Any) -> None:
            if message["type"] == "websocket.send":
                through_send.append(message.get("text") or "")
            await send(message)

        await inner(scope, receive, counting_send if scope["type"] == "websocket" else send)

    # 7-bit, 16-bit and 64-bit payload lengths, and a non-ASCII text (length in bytes)
    bodies = ["", "a" * 100, "é" * 40, "b" * 126, "c" * 65535, "d" * 70000]
    with serve(app, ws=ws) as srv:
        client = await joined(f"{srv.ws_url}/socket/websocket?vsn=2.0.0", max_size=None)
        through_send.clear()  # the join reply
        for body in bodies:
            endpoint.node.broadcast("room:a", "m", {"body": body})
            frame = json.loads(await asyncio.wait_for(client.recv(), 5))
            assert frame == [None, None, "room:a", "m", {"body": body}]
        await client.close()
    assert len(through_send) == (0 if ws is UvicornWebSocketProtocol else len(bodies))


class GatedSend:
    """An ASGI `send` that completes at once while `writable` is set, and otherwise waits."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.writable = asyncio.Event()
        self.writable.set()
        self.fail_with: Exception | None = None

    async def __call__(self, message: dict[str, Any]) -> None:
        await self.writable.wait()
        error, self.fail_with = self.fail_with, None  # fails once
        if error is not None:
            raise error
        self.sent.append(message)

    def texts(self) -> list[Any]:
        return [m.get("text", m.get("bytes")) for m in self.sent if m["type"] == "websocket.send"]


async def test_a_writable_connection_gets_frames_written_in_the_call_without_a_task() -> None:
    send = GatedSend()
    transport = WebSocketTransport(send, limit=4)
    tasks_before = len(asyncio.all_tasks())
    transport.send("a")
    transport.send(b"b")
    assert send.sent == [
        {"type": "websocket.send", "text": "a"},
        {"type": "websocket.send", "bytes": b"b"},
    ]
    assert len(asyncio.all_tasks()) == tasks_before


async def test_a_blocked_connection_queues_in_order_then_overflows_into_a_1013_close() -> None:
    send = GatedSend()
    transport = WebSocketTransport(send, limit=3)
    send.writable.clear()
    for frame in ["1", "2", "3", "4"]:  # "1" is in flight, 2-4 fill the queue
        transport.send(frame)
    assert send.sent == []
    send.writable.set()
    await wait_until(lambda: len(send.sent) == 4)
    assert send.texts() == ["1", "2", "3", "4"]
    transport.send("5")  # writable again: written at once
    assert send.texts()[-1] == "5"

    send.writable.clear()
    for frame in ["6", "7", "8", "9", "10"]:  # "6" in flight, 7-9 queued, "10" overflows
        transport.send(frame)
    transport.send("11")  # closing: ignored
    send.writable.set()
    await wait_until(lambda: send.sent[-1]["type"] == "websocket.close")
    assert send.texts() == ["1", "2", "3", "4", "5", "6"]  # the queue is dropped by the close
    assert send.sent[-1] == {
        "type": "websocket.close",
        "code": 1013,
        "reason": "outbound queue full",
    }


async def test_a_frame_that_cannot_be_sent_closes_with_1011_a_vanished_peer_quietly() -> None:
    send = GatedSend()
    send.fail_with = UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
    transport = WebSocketTransport(send, limit=4)
    transport.send("\ud800")
    await wait_until(lambda: bool(send.sent))
    assert send.sent == [
        {"type": "websocket.close", "code": 1011, "reason": "server could not send a frame"}
    ]
    transport.send("after")
    assert len(send.sent) == 1

    gone = GatedSend()
    transport = WebSocketTransport(gone, limit=4)
    gone.writable.clear()
    transport.send("a")
    transport.send("b")
    gone.fail_with = ConnectionResetError()
    gone.writable.set()
    await asyncio.sleep(0.05)
    transport.send("c")
    await asyncio.sleep(0.05)
    assert gone.sent == []  # no close attempted on a dead socket, nothing queued after it


async def test_start_eagerly_finishes_what_did_not_wait_and_resumes_what_did() -> None:
    steps: list[str] = []

    async def quick() -> None:
        steps.append("quick")

    assert start_eagerly(quick()) is None
    assert steps == ["quick"]

    gate: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def waits() -> str:
        steps.append("before")
        value = await gate
        steps.append("after")
        return value + "!"

    rest = start_eagerly(waits())
    assert rest is not None and steps[-1] == "before"

    async def finish() -> Any:
        return await rest

    task = asyncio.get_running_loop().create_task(finish())
    await asyncio.sleep(0)
    gate.set_result("done")
    assert await task == "done!"
    assert steps[-1] == "after"

    blocked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    cleaned: list[bool] = []

    async def cancellable() -> None:
        try:
            await blocked
        finally:
            cleaned.append(True)

    rest = start_eagerly(cancellable())
    assert rest is not None

    async def finish_cancellable() -> Any:
        return await rest

    task = asyncio.get_running_loop().create_task(finish_cancellable())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned == [True] and blocked.cancelled()


class RawWrites:
    """A raw-frames `write`: records the bytes; `full` makes it refuse like a full socket."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.full = False

    def __call__(self, data: bytes) -> bool:
        if self.full:
            return False
        self.writes.append(data)
        return True


async def test_raw_frames_of_one_loop_iteration_go_out_in_one_write() -> None:
    raw, send = RawWrites(), GatedSend()
    transport = WebSocketTransport(send, limit=10, write_frames=raw)
    transport.send("a")
    transport.send("bc")
    transport.send(b"\x01")
    assert raw.writes == []  # at the end of the iteration, not in the broadcast
    await asyncio.sleep(0)
    assert raw.writes == [b"\x81\x01a" + b"\x81\x02bc" + b"\x82\x01\x01"]
    assert send.sent == []
    transport.send("d")
    await asyncio.sleep(0)
    assert raw.writes[-1] == b"\x81\x01d"


async def test_raw_frames_for_a_full_socket_wait_in_order_behind_a_writer() -> None:
    raw, send = RawWrites(), GatedSend()
    transport = WebSocketTransport(send, limit=10, write_frames=raw)
    raw.full = True
    send.writable.clear()
    transport.send("1")
    transport.send("2")
    await asyncio.sleep(0)  # the flush finds the socket full: "1" in flight, "2" queued
    transport.send("3")
    assert raw.writes == [] and send.sent == []
    raw.full = False
    send.writable.set()
    await wait_until(lambda: len(send.sent) == 3)
    assert send.texts() == ["1", "2", "3"]
    transport.send("4")  # writable again: raw
    await asyncio.sleep(0)
    assert raw.writes == [b"\x81\x014"]


async def test_a_burst_beyond_the_limit_closes_and_frames_before_a_close_go_first() -> None:
    raw, send = RawWrites(), GatedSend()
    transport = WebSocketTransport(send, limit=3, write_frames=raw)
    for frame in ["1", "2", "3", "4"]:
        transport.send(frame)
    assert raw.writes == [b"\x81\x011\x81\x012\x81\x013"]
    assert send.sent == [{"type": "websocket.close", "code": 1013, "reason": "outbound queue full"}]

    raw2, send2 = RawWrites(), GatedSend()
    transport = WebSocketTransport(send2, limit=3, write_frames=raw2)
    transport.send("bye")
    transport.close(1001, "going away")
    assert raw2.writes == [b"\x81\x03bye"]
    assert send2.sent == [{"type": "websocket.close", "code": 1001, "reason": "going away"}]
    await asyncio.sleep(0)
    assert len(raw2.writes) == 1


async def test_a_burst_of_broadcasts_reaches_a_real_client_whole_and_in_order() -> None:
    endpoint = Endpoint(Node())
    app = Starlette(
        routes=[endpoint.mount("/socket", RoomSocket())], lifespan=endpoint.node.lifespan
    )
    with serve(app) as srv:
        client = await joined(f"{srv.ws_url}/socket/websocket?vsn=2.0.0")
        for i in range(200):  # handed to the server's loop back to back: batched writes
            endpoint.node.broadcast("room:a", "m", {"i": i})
        got = [json.loads(await asyncio.wait_for(client.recv(), 5))[4]["i"] for _ in range(200)]
        assert got == list(range(200))
        await client.close()
