"""Clients that reconnect the way the real ones do, for `bench.reconnect_storm` and `bench.soak`.

`SSETab` is a page's EventSource: after its stream ends it retries every `retry` ms (the
server's `retry:` field, 1 s) with the URL of its first connect and a `Last-Event-ID` header,
as browsers do. `PhoenixClient` is phoenix.js: it reconnects after 10, 50, 100, 150, 200, 250,
500, 1000, 2000 ms, then every 5 s, rejoins its `user:<id>` channel and takes `initial_state`.
Both keep the counter values they show.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import Callable
from typing import Any

from bench.storm_app import BADGES

PHOENIX_BACKOFF_MS = (10, 50, 100, 150, 200, 250, 500, 1000, 2000)
BADGE = re.compile(rb'id="liveui-badge-(\w+)"[^>]*?data-live-etag="(\d+)"')


class Board:
    """What every client shows, checked against what the database holds."""

    def __init__(self) -> None:
        self.expected: dict[int, dict[str, int]] = {}
        self.synced_at: dict[tuple[str, int], float] = {}
        self.changed = asyncio.Event()
        self.errors: list[str] = []
        self.clients: dict[tuple[str, int], Any] = {}

    def show(self, kind: str, index: int, user: int, shown: dict[str, int]) -> None:
        key = (kind, index)
        if shown == self.expected.get(user):
            self.synced_at.setdefault(key, time.monotonic())
        else:
            self.synced_at.pop(key, None)
        self.changed.set()

    def reset(self, expected: dict[int, dict[str, int]]) -> None:
        """New database values: the clients already showing them count as synced from now."""
        self.expected, self.synced_at = expected, {}
        for (kind, index), client in self.clients.items():
            self.show(kind, index, client.user, client.shown)


class SSETab(asyncio.Protocol):
    def __init__(self, port: int, path: str, index: int, user: int, board: Board,
                 shown: dict[str, int]) -> None:
        self.port, self.path, self.index, self.user, self.board = port, path, index, user, board
        self.shown = dict(shown)
        board.clients["sse", index] = self
        self.last_id: str | None = None
        self.retry_s = 1.0
        self.buffer = b""
        self.transport: Any = None
        self.closed = False
        self.connects = 0

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        while not self.closed:
            try:
                await loop.create_connection(lambda: self, "127.0.0.1", self.port)
                return
            except OSError:
                await asyncio.sleep(self.retry_s)

    def connection_made(self, transport: Any) -> None:
        self.transport, self.buffer = transport, b""
        self.connects += 1
        header = f"Last-Event-ID: {self.last_id}\r\n" if self.last_id else ""
        transport.write((f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                         f"Accept: text/event-stream\r\n{header}\r\n").encode())

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data
        end = buffer.rfind(b"\r\n\r\n")
        if end < 0:
            self.buffer = buffer
            return
        done, self.buffer = buffer[: end + 4], buffer[end + 4 :]
        if done.startswith(b"HTTP/1.1 ") and not done.startswith(b"HTTP/1.1 200"):
            self.board.errors.append(done[:200].decode(errors="replace"))
            return
        for line in done.split(b"\n"):
            line = line.rstrip(b"\r")
            if line.startswith(b"id: "):
                self.last_id = line[4:].decode()
            elif line.startswith(b"retry: "):
                self.retry_s = int(line[7:]) / 1000
        for name, value in BADGE.findall(done):
            self.shown[name.decode()] = int(value)
        self.board.show("sse", self.index, self.user, self.shown)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if not self.closed:  # the browser retries after `retry` ms
            asyncio.get_running_loop().call_later(
                self.retry_s, lambda: asyncio.ensure_future(self.open())
            )

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


class PhoenixClient:
    def __init__(self, url: str, index: int, user: int, board: Board) -> None:
        self.url, self.index, self.user, self.board = url, index, user, board
        self.shown: dict[str, int] = {}
        self.versions: dict[str, int] = {}
        board.clients["socket", index] = self
        self.ws: Any = None
        self.task: asyncio.Task[None] | None = None
        self.joins = 0
        self.on_message: Callable[[list[Any]], None] | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        from websockets.asyncio.client import connect

        tries = 0
        ref = 0
        while True:
            try:
                async with connect(f"{self.url}&user={self.user}", compression=None,
                                   max_queue=None, open_timeout=60) as ws:
                    self.ws, tries = ws, 0
                    ref += 1
                    await ws.send(json.dumps([str(ref), str(ref), f"user:{self.user}",
                                              "phx_join", {}]))
                    async for frame in ws:
                        self._receive(json.loads(frame))
            except (TimeoutError, OSError) as exc:
                del exc  # refused while the server is down: back off and retry
            except Exception as exc:  # a closed connection: reconnect like phoenix.js
                if type(exc).__name__ not in ("ConnectionClosedError", "ConnectionClosedOK",
                                              "InvalidStatus", "InvalidMessage"):
                    self.board.errors.append(f"socket: {exc!r}")
            self.ws = None
            tries += 1
            delay = PHOENIX_BACKOFF_MS[tries - 1] if tries <= len(PHOENIX_BACKOFF_MS) else 5000
            await asyncio.sleep(delay / 1000)

    def _receive(self, message: list[Any]) -> None:
        event, payload = message[3], message[4]
        if event == "phx_reply" and payload.get("status") != "ok":
            self.board.errors.append(f"join refused: {payload}")
        elif event == "initial_state":
            self.joins += 1
            counters, versions = payload["counters"], payload["versions"]
            for name in BADGES:  # the newest read wins, as in the SPA store
                if versions.get(name, 0) >= self.versions.get(name, 0):
                    self.shown[name] = int(counters.get(name, 0))
                    self.versions[name] = versions.get(name, 0)
            self.board.show("socket", self.index, self.user, self.shown)
        elif event == "counter_updated":
            name = payload["counter"]
            if payload["version"] > self.versions.get(name, 0):
                self.shown[name] = int(payload["value"])
                self.versions[name] = payload["version"]
                self.board.show("socket", self.index, self.user, self.shown)
        if self.on_message is not None:
            self.on_message(message)

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
