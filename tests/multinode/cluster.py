"""Several demo nodes acting as one: the processes and services the multi-node tests drive.

- `ShopDatabase`: a fresh PostgreSQL database per test module, its schema created here so user
  ids start at a random offset (Redis pub/sub ignores the database number: `user:<id>` topics
  must not meet those of a parallel run on the shared Redis).
- nodes are `demo.process.DemoProcess`es: `python -m demo --port N`, output in a log file.
- `ShopUser`: a logged-in HTTP client of one node, posting forms with their CSRF token.
- `RedisServer`: a throwaway redis-server on a free port, stopped and restarted at will.
- `force_logout`: a third process with its own Hub broadcasts `disconnect` on a socket id.

asyncpg needs an event loop, and Playwright's sync API keeps one running in the main thread, so
database calls run `asyncio.run` in a worker thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx

from demo.process import DemoProcess
from liveui.testing import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "multinode-test-secret-" + uuid.uuid4().hex
T = TypeVar("T")

__all__ = [
    "SECRET_KEY",
    "RedisServer",
    "ShopDatabase",
    "ShopUser",
    "force_logout",
    "wait_until",
]


def wait_until(condition: Callable[[], T], timeout: float = 15.0, what: str = "") -> T:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(0.05)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result(timeout=60)


class ShopDatabase:
    """A database of its own on the test PostgreSQL server, created and dropped here."""

    def __init__(self, server_url: str) -> None:
        parts = urlsplit(server_url)
        self.name = "liveui_multinode_" + uuid.uuid4().hex[:10]
        self._admin_url = server_url
        self.url = urlunsplit((parts.scheme, parts.netloc, "/" + self.name, "", ""))
        self.first_user_id = 1_000_000 + uuid.uuid4().int % 900_000_000

    def create(self) -> None:
        _run(self._create())

    def drop(self) -> None:
        _run(self._drop())

    async def _create(self) -> None:
        import asyncpg
        from sqlalchemy.ext.asyncio import create_async_engine

        from demo.models import Base
        from liveui import async_url

        admin = await asyncpg.connect(self._admin_url)
        try:
            await admin.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            await admin.close()
        engine = create_async_engine(async_url(self.url))
        try:
            async with engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
        finally:
            await engine.dispose()
        await self.execute(f"ALTER SEQUENCE users_id_seq RESTART WITH {self.first_user_id}")

    async def _drop(self) -> None:
        import asyncpg

        admin = await asyncpg.connect(self._admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await admin.close()

    async def execute(self, sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def value(self, sql: str, *args: Any) -> Any:
        async def fetch() -> Any:
            import asyncpg

            conn = await asyncpg.connect(self.url)
            try:
                return await conn.fetchval(sql, *args)
            finally:
                await conn.close()

        return _run(fetch())

    def user_id(self, username: str) -> int:
        found = self.value("SELECT id FROM users WHERE username = $1", username)
        assert found is not None, f"no user {username!r}: the first node seeds them"
        return int(found)

    def pending_orders(self, user_id: int) -> int:
        return int(
            self.value(
                "SELECT count(*) FROM orders WHERE user_id = $1 AND status = 'pending'", user_id
            )
        )


class ShopUser:
    """A browser-less user of one node: logs in, then posts the demo's forms."""

    CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

    def __init__(self, node: DemoProcess, username: str, password: str = "demo") -> None:
        self.node = node
        self.http = httpx.Client(base_url=node.url, timeout=10, follow_redirects=False)
        found = self.CSRF.search(self.http.get("/login").text)
        assert found is not None, "the login form carries no CSRF token"
        response = self.http.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": found.group(1)},
        )
        assert response.status_code == 303, f"login of {username} failed: {response.status_code}"
        self._csrf: str | None = None

    def close(self) -> None:
        self.http.close()

    def csrf(self) -> str:
        if self._csrf is None:
            found = self.CSRF.search(self.http.get("/orders").text)
            assert found is not None, "the orders page carries no CSRF token"
            self._csrf = found.group(1)
        return self._csrf

    def post(self, path: str) -> None:
        response = self.http.post(path, data={"csrf_token": self.csrf()})
        assert response.status_code == 303, f"POST {path}: {response.status_code}"

    def place_order(self) -> None:
        self.post("/orders/place")

    def complete_order(self, order_id: int) -> None:
        self.post(f"/admin/orders/{order_id}/complete")


class RedisServer:
    """A redis-server of this test only: never the machine's shared one."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, timeout, f"redis-server on port {self.port}")

    def _answers(self) -> bool:
        import socket

        try:
            with socket.create_connection(("127.0.0.1", self.port), 0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait(10)


def force_logout(pubsub_url: str, socket_id: str) -> None:
    """Broadcast `disconnect` on `socket_id` from a separate process with its own Hub."""
    subprocess.run(
        [sys.executable, "-m", "tests.multinode.force_logout", pubsub_url, socket_id],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
        timeout=30,
    )
