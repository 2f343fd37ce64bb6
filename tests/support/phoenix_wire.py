"""A raw Phoenix V2 JSON client over a real WebSocket (`websockets`), for tests that need the
exact frames on the wire: send frames, read replies by ref, see how the server closed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

__all__ = ["PhoenixPeer", "closed_with", "join_frame", "joined_peer"]


def join_frame(topic: str, ref: str = "1") -> str:
    """A `phx_join` with no payload, its join_ref equal to its ref."""
    return json.dumps([ref, ref, topic, "phx_join", {}])


class PhoenixPeer:
    """Send frames, read replies by ref; frames read while looking for another are kept."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.ref = 0
        self.pending: list[Any] = []

    async def send(self, join_ref: str | None, topic: str, event: str, payload: Any) -> str:
        """Send one frame ("$ref" as join_ref: this frame's own ref); returns its ref."""
        self.ref += 1
        ref = str(self.ref)
        await self.ws.send(
            json.dumps([join_ref if join_ref != "$ref" else ref, ref, topic, event, payload])
        )
        return ref

    async def frame(self, where: Any, timeout: float = 5.0) -> list[Any]:
        """The first frame matching `where`, earlier unmatched ones kept for later calls."""
        for i, frame in enumerate(self.pending):
            if where(frame):
                return self.pending.pop(i)  # type: ignore[no-any-return]
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await self.ws.recv())
                if where(frame):
                    return frame  # type: ignore[no-any-return]
                self.pending.append(frame)

    async def reply(self, ref: str, timeout: float = 5.0) -> dict[str, Any]:
        frame = await self.frame(lambda f: f[1] == ref and f[3] == "phx_reply", timeout)
        payload: dict[str, Any] = frame[4]
        return payload

    async def join(self, topic: str, payload: Any = None) -> tuple[str, dict[str, Any]]:
        ref = await self.send("$ref", topic, "phx_join", {} if payload is None else payload)
        return ref, await self.reply(ref)

    async def call(self, join_ref: str, topic: str, event: str, payload: Any) -> dict[str, Any]:
        return await self.reply(await self.send(join_ref, topic, event, payload))


async def joined_peer(url: str, topic: str, **options: Any) -> tuple[PhoenixPeer, str]:
    """Connect to `url` (options go to `websockets.connect`) and join `topic`; returns the peer
    and the join ref. Fails unless the join is answered ok."""
    peer = PhoenixPeer(await websockets.connect(url, **options))
    ref, reply = await peer.join(topic)
    assert reply["status"] == "ok", f"join of {topic} refused: {reply}"
    return peer, ref


async def closed_with(ws: ClientConnection, timeout: float = 5.0) -> tuple[int | None, str | None]:
    """Read until the server closes; return its close code and reason."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()
    except ConnectionClosed as exc:
        assert exc.rcvd is not None, "the server, not the transport, must close"
        return exc.rcvd.code, exc.rcvd.reason
    raise AssertionError("unreachable")
