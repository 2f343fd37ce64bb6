"""Several demo nodes acting as one: the processes and services the multi-node tests drive.

- `ShopDatabase`: a fresh PostgreSQL database per test module, its schema created here so user
  ids start at a random offset (Redis pub/sub ignores the database number: `user:<id>` topics
  must not meet those of a parallel run on the shared Redis).
- nodes are `demo.process.DemoProcess`es: `python -m demo --port N`, output in a log file.
- `ShopUser`: a logged-in HTTP client of one node, posting forms with their CSRF token (every
  demo action, and the notification dropdown's live events).
- `SqlReader`: one asyncpg pool on a loop thread of its own, for the many small reads of a test
  that runs actions from several threads.
- `PubSubRole`: a PostgreSQL role of its own for LISTEN/NOTIFY, so an outage can hit pub/sub only.
- `NodeLog`: what a node logged since a mark (outage ends, resyncs).
- `force_logout`: a third process with its own Hub broadcasts `disconnect` on a socket id.

asyncpg needs an event loop, and Playwright's sync API keeps one running in the main thread, so
database calls run `asyncio.run` in a worker thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import html
import json
import os
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx

from demo.process import DemoProcess
from tests.support.demo_http import csrf_token, log_in_over_http

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "multinode-test-secret-" + uuid.uuid4().hex
T = TypeVar("T")

__all__ = [
    "SECRET_KEY",
    "NodeLog",
    "PubSubRole",
    "ShopDatabase",
    "ShopUser",
    "SqlReader",
    "force_logout",
]


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

    def __init__(self, node: DemoProcess, username: str) -> None:
        self.node = node
        self.http = httpx.Client(base_url=node.url, timeout=10, follow_redirects=False)
        log_in_over_http(self.http, username)
        self.username = username
        self._csrf: str | None = None
        self._live: tuple[str, str, dict[str, str]] | None = None
        # Threads may share a client: the first GET of a page that needs a CSRF token stores a
        # new one in the session cookie, so two racing first GETs would keep different tokens.
        self._lock = threading.Lock()

    def close(self) -> None:
        self.http.close()

    def csrf(self) -> str:
        with self._lock:
            if self._csrf is None:
                self._csrf = csrf_token(self.http, "/orders")
            return self._csrf

    def post(self, path: str, **fields: str) -> None:
        response = self.http.post(path, data={"csrf_token": self.csrf(), **fields})
        assert response.status_code == 303, f"POST {path}: {response.status_code}"

    def place_order(self) -> None:
        self.post("/orders/place")

    def cancel_order(self, order_id: int) -> None:
        self.post(f"/orders/{order_id}/cancel")

    def complete_order(self, order_id: int) -> None:
        self.post(f"/admin/orders/{order_id}/complete")

    def admin_cancel_order(self, order_id: int) -> None:
        self.post(f"/admin/orders/{order_id}/cancel")

    def add_to_cart(self) -> None:
        self.post("/cart/add")

    def remove_from_cart(self, item_id: int) -> None:
        self.post(f"/cart/{item_id}/remove")

    def open_ticket(self) -> None:
        self.post("/tickets/open", subject="A ticket from the convergence run")

    def close_ticket(self, ticket_id: int) -> None:
        self.post(f"/tickets/{ticket_id}/close")

    def request_reseller(self) -> None:
        self.post("/reseller/request")

    def approve_reseller(self, request_id: int) -> None:
        self.post(f"/admin/reseller/{request_id}/approve")

    # the notification dropdown's buttons: htmx POSTs to liveui's event endpoint
    LIVE_META = re.compile(r'<meta name="liveui"[^>]*>')
    MARK_ALL = re.compile(r'id="liveui-notifications-mark-all"[^>]*hx-vals=\'([^\']*)\'')

    def mark_read(self, notification_id: str) -> None:
        self.live_event("mark_read", id=notification_id)

    def mark_all_read(self) -> None:
        self.live_event("mark_all_read")

    def live_event(self, event: str, **data: str) -> None:
        """What the dropdown's buttons send: the live token in a header, the dropdown's spec and
        the event in the form (read once from the dashboard, as the page's htmx would)."""
        url, token, vals = self._live_form()
        response = self.http.post(
            url,
            data={**vals, "event": event, **data},
            headers={"X-LiveUI-Token": token},
        )
        assert response.status_code == 204, f"{event}: {response.status_code} {response.text}"

    def _live_form(self) -> tuple[str, str, dict[str, str]]:
        with self._lock:
            return self._live_form_locked()

    def _live_form_locked(self) -> tuple[str, str, dict[str, str]]:
        if self._live is None:
            page = self.http.get("/").text
            meta = self.LIVE_META.search(page)
            mark_all = self.MARK_ALL.search(page)
            assert meta is not None and mark_all is not None, "the dashboard has no dropdown"
            attrs = dict(re.findall(r'data-([\w-]+)="([^"]*)"', meta.group(0)))
            vals = json.loads(html.unescape(mark_all.group(1)))
            self._live = (
                html.unescape(attrs["event-url"]),
                html.unescape(attrs["token"]),
                {"component": vals["component"], "spec": vals["spec"]},
            )
        return self._live


class SqlReader:
    """Reads from one database through an asyncpg pool on an event loop thread of its own:
    callable from any thread (Playwright's sync API owns the main thread's loop)."""

    def __init__(self, url: str, max_size: int = 4) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="sql-reader", daemon=True
        )
        self._thread.start()
        self._pool: Any = self._call(self._open(url, max_size))

    async def _open(self, url: str, max_size: int) -> Any:
        import asyncpg

        return await asyncpg.create_pool(url, min_size=1, max_size=max_size)

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)

    def fetch(self, sql: str, *args: Any) -> list[Any]:
        """The rows of one query, each an `asyncpg.Record` (by name or index)."""
        return self._call(self._pool.fetch(sql, *args))

    def ids(self, sql: str, *args: Any) -> list[Any]:
        """The first column of every row, sorted (a deterministic list to pick from)."""
        return sorted(row[0] for row in self.fetch(sql, *args))

    def close(self) -> None:
        try:
            self._call(self._pool.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()


class PubSubRole:
    """A login role of its own for the nodes' LISTEN/NOTIFY connections (`url`), in the shop's
    own database. `cut()` is a pub/sub outage and nothing else: the role may no longer log in
    and its connections are terminated, so listening, publishing and every reconnect fail
    until `restore()`, while the shop's queries (another role) go on."""

    def __init__(self, db: ShopDatabase) -> None:
        self.db = db
        self.name = "liveui_pubsub_" + uuid.uuid4().hex[:10]
        parts = urlsplit(db.url)
        host = parts.netloc.rpartition("@")[2]
        self.url = urlunsplit((parts.scheme, f"{self.name}@{host}", parts.path, "", ""))

    def create(self) -> None:
        _run(self.db.execute(f"CREATE ROLE {self.name} LOGIN"))
        # The backend creates its payload table on first publish (PostgreSQL 15 no longer lets
        # every role create in schema public).
        _run(self.db.execute(f"GRANT USAGE, CREATE ON SCHEMA public TO {self.name}"))

    def connections(self) -> int:
        return int(
            self.db.value("SELECT count(*) FROM pg_stat_activity WHERE usename = $1", self.name)
        )

    def cut(self) -> int:
        """Start the outage; returns how many pub/sub connections were terminated."""
        _run(self.db.execute(f"ALTER ROLE {self.name} NOLOGIN"))
        return int(
            self.db.value(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = $1",
                self.name,
            )
        )

    def restore(self) -> None:
        _run(self.db.execute(f"ALTER ROLE {self.name} LOGIN"))

    def drop(self) -> None:
        self.cut()
        _run(self.db.execute(f"DROP OWNED BY {self.name}"))
        _run(self.db.execute(f"DROP ROLE IF EXISTS {self.name}"))


class NodeLog:
    """What a demo node logged after `mark()`: its output file is only ever appended to (also
    across restarts), so an offset marks a moment."""

    def __init__(self, node: DemoProcess) -> None:
        self.node = node
        self.offset = 0

    def mark(self) -> None:
        self.offset = self._size()

    def _size(self) -> int:
        try:
            return self.node.log_path.stat().st_size
        except OSError:
            return 0

    def since_mark(self) -> str:
        try:
            with self.node.log_path.open("rb") as log:
                log.seek(self.offset)
                return log.read().decode(errors="replace")
        except OSError:
            return ""


def force_logout(pubsub_url: str, socket_id: str) -> None:
    """Broadcast `disconnect` on `socket_id` from a separate process with its own Hub."""
    subprocess.run(
        [sys.executable, "-m", "tests.multinode.force_logout", pubsub_url, socket_id],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
        timeout=30,
    )
