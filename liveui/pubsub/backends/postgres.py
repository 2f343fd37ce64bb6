"""The PostgreSQL backend: LISTEN/NOTIFY through asyncpg (`liveui[postgres]`).

Why it looks the way it does:

- NOTIFY payloads must stay under 8000 bytes, and every byte sits in the cluster's notification
  queue until the slowest listener read it. An envelope up to `inline_limit` bytes (default
  2000) travels inline as `i<counter>:<envelope>`; a larger one (or one that is not UTF-8 text)
  is stored in an UNLOGGED table and only `r<id>` is sent; receivers fetch it by id. The
  publisher deletes rows older than `payload_ttl` seconds.
- NOTIFY is delivered when the notifying transaction commits, and PostgreSQL serializes the
  commits of all notifying transactions of the cluster on one lock. So the hub notifies from its
  own connection, in short transactions of its own (one per batch), after the business
  transaction that caused the broadcast committed; never inside it.
- Channel names are identifiers of at most 63 bytes; a longer liveui channel is mapped to a
  stable hash so every node agrees on it.
- One connection listens (and fetches stored payloads), another publishes. Losing the listener
  (an outage, `pg_terminate_backend`) is noticed by asyncpg's termination callback or by a
  periodic `SELECT 1`; it reconnects with backoff, LISTENs again and reports a gap.
- Inbound messages that wait for a fetch go through a bounded queue with a named overflow policy;
  a drop is reported as a gap, so the hub resyncs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import time
from collections.abc import Sequence
from typing import Any

from ..._utils import stop_task
from ..backoff import Backoff, OutageLog
from ..bounded_queue import BoundedQueue, Overflow
from ._driver import import_driver, redact
from .base import Backend, BackendUnavailable

__all__ = ["PostgresBackend"]

log = logging.getLogger("liveui.pubsub")

NOTIFY_LIMIT = 8000
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_MAX_CHANNEL_BYTES = 63
_FETCH_BATCH = 500

_INLINE, _STORED = "i", "r"


def pg_channel(channel: str) -> str:
    """The LISTEN/NOTIFY name of a channel: itself if it fits in 63 bytes, else a stable hash."""
    if len(channel.encode()) <= _MAX_CHANNEL_BYTES:
        return channel
    digest = hashlib.blake2b(channel.encode(), digest_size=20).hexdigest()
    return "liveui#" + digest


class PostgresBackend(Backend):
    def __init__(
        self,
        url: str,
        *,
        table: str = "liveui_pubsub_payload",
        inline_limit: int = 2000,
        payload_ttl: float = 60.0,
        inbound_queue_size: int = 10_000,
        inbound_overflow: Overflow | str = Overflow.DROP_OLDEST,
        health_check_interval: float = 5.0,
        connect_timeout: float = 5.0,
        retry_initial: float = 0.05,
        retry_max: float = 5.0,
        application_name: str = "liveui-pubsub",
    ) -> None:
        super().__init__()
        self.application_name = application_name
        self._asyncpg: Any = import_driver("asyncpg", "postgres", "PostgreSQL")
        if not _IDENT.fullmatch(table):
            raise ValueError(f"liveui: {table!r} is not a plain SQL identifier for a table name")
        if not 0 < inline_limit < NOTIFY_LIMIT - 100:
            raise ValueError(f"liveui: inline_limit must be between 1 and {NOTIFY_LIMIT - 100}")
        # SQLAlchemy-style URLs ("postgresql+asyncpg://") are accepted as they are configured.
        scheme, sep, rest = url.partition("://")
        self.url = "postgresql://" + rest if sep and scheme.startswith("postgres") else url
        self.table = table
        self.inline_limit = inline_limit
        self.payload_ttl = payload_ttl
        self._health_interval = health_check_interval
        self._connect_timeout = connect_timeout
        self._retry = (retry_initial, retry_max)
        self._channels: dict[str, str] = {}  # liveui channel -> pg channel
        self._by_pg: dict[str, str] = {}
        self._listen_conn: Any = None
        self._listen_lock = asyncio.Lock()
        self._supervisor: asyncio.Task[None] | None = None
        self._publish_conn: Any = None
        self._publish_lock = asyncio.Lock()
        self._last_cleanup = 0.0
        self._counter = 0
        # (channel, inline data or None, stored id or None), in arrival order
        self._inbound: BoundedQueue[tuple[str, bytes | None, int | None]] = BoundedQueue(
            inbound_queue_size, inbound_overflow
        )
        self._inbound_ready = asyncio.Event()
        self._draining = False
        self._drainer: asyncio.Task[None] | None = None
        self._insert_sql = f"INSERT INTO {table} (data) VALUES ($1) RETURNING id"
        self._fetch_sql = f"SELECT id, data FROM {table} WHERE id = ANY($1::bigint[])"
        self._cleanup_sql = (
            f"DELETE FROM {table} WHERE created_at < now() - make_interval(secs => $1)"
        )
        self._create_sql = (
            f"CREATE UNLOGGED TABLE IF NOT EXISTS {table} (id bigserial PRIMARY KEY, "
            "created_at timestamptz NOT NULL DEFAULT now(), data bytea NOT NULL)"
        )

    # lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        if self._supervisor is not None:
            return
        loop = asyncio.get_running_loop()
        self._inbound_ready = asyncio.Event()
        self._drainer = loop.create_task(self._drain(), name="liveui-postgres-inbound")
        first_attempt: asyncio.Future[None] = loop.create_future()
        self._supervisor = loop.create_task(self._listen(first_attempt), name="liveui-postgres")
        await first_attempt

    async def stop(self) -> None:
        for task in (self._supervisor, self._drainer):
            await stop_task(task)
        self._supervisor = self._drainer = None
        self._inbound.clear()
        for conn in (self._listen_conn, self._publish_conn):
            if conn is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.close(), 2.0)
        self._listen_conn = self._publish_conn = None

    # subscriptions ---------------------------------------------------------------------------
    async def subscribe(self, channels: list[str]) -> None:
        added = []
        for channel in channels:
            if channel not in self._channels:
                name = self._channels[channel] = pg_channel(channel)
                self._by_pg[name] = channel
                added.append(name)
        await self._change_listens(added, listen=True)

    async def unsubscribe(self, channels: list[str]) -> None:
        removed = []
        for channel in channels:
            name = self._channels.pop(channel, None)
            if name is not None:
                self._by_pg.pop(name, None)
                removed.append(name)
        await self._change_listens(removed, listen=False)

    async def _change_listens(self, names: list[str], *, listen: bool) -> None:
        # While disconnected there is nothing to do: the supervisor LISTENs to all on reconnect.
        if not names or self._listen_conn is None:
            return
        async with self._listen_lock:
            conn = self._listen_conn
            if conn is None:
                return
            try:
                for name in names:
                    if listen:
                        await conn.add_listener(name, self._notified)
                    else:
                        await conn.remove_listener(name, self._notified)
            except Exception as exc:
                log.debug("liveui: LISTEN change deferred to the reconnect: %s", exc)

    # publishing ------------------------------------------------------------------------------
    async def publish(self, channel: str, data: bytes) -> None:
        await self.publish_many([(channel, data)])

    async def publish_many(self, messages: Sequence[tuple[str, bytes]]) -> None:
        async with self._publish_lock:
            conn = await self._publisher()
            try:
                await self._notify(conn, messages)
            except Exception as exc:
                self._publish_conn = None
                with contextlib.suppress(Exception):
                    conn.terminate()
                raise BackendUnavailable(f"PostgreSQL at {redact(self.url)}: {exc!r}") from exc

    async def _notify(self, conn: Any, messages: Sequence[tuple[str, bytes]]) -> None:
        channels: list[str] = []
        payloads: list[str] = []
        stored: list[tuple[int, bytes]] = []
        for channel, data in messages:
            channels.append(pg_channel(channel))
            text = _inline_text(data, self.inline_limit)
            if text is None:
                stored.append((len(payloads), data))
                payloads.append("")
            else:
                # A counter keeps equal messages apart: PostgreSQL delivers identical
                # (channel, payload) pairs of one transaction only once.
                self._counter += 1
                payloads.append(f"{_INLINE}{self._counter:x}:{text}")
        sql = (
            "SELECT pg_notify(c, p) FROM unnest($1::text[], $2::text[]) WITH ORDINALITY "
            "AS u(c, p, o) ORDER BY o"
        )
        if not stored:
            await conn.execute(sql, channels, payloads)
            return
        # Rows and notifications become visible together, when this short transaction commits.
        async with conn.transaction():
            for index, data in stored:
                payloads[index] = _STORED + str(await conn.fetchval(self._insert_sql, data))
            await conn.execute(sql, channels, payloads)
        now = time.monotonic()
        if now - self._last_cleanup > self.payload_ttl / 2:
            self._last_cleanup = now
            await conn.execute(self._cleanup_sql, float(self.payload_ttl))

    async def _publisher(self) -> Any:
        conn = self._publish_conn
        if conn is not None and not conn.is_closed():
            return conn
        try:
            # Nothing it commits needs to survive a crash (notifications, an UNLOGGED table), so
            # it need not wait for the WAL flush while it holds the cluster-wide NOTIFY lock.
            conn = await self._connect(synchronous_commit="off")
            await self._create_table(conn)
        except Exception as exc:
            raise BackendUnavailable(f"PostgreSQL at {redact(self.url)}: {exc!r}") from exc
        self._publish_conn = conn
        return conn

    async def _create_table(self, conn: Any) -> None:
        errors = self._asyncpg.exceptions
        # Two nodes starting together may race on CREATE ... IF NOT EXISTS; either outcome is fine.
        with contextlib.suppress(errors.UniqueViolationError, errors.DuplicateTableError):
            await conn.execute(self._create_sql)

    async def _connect(self, **settings: str) -> Any:
        return await self._asyncpg.connect(
            self.url,
            timeout=self._connect_timeout,
            server_settings={"application_name": self.application_name, **settings},
        )

    # listening -------------------------------------------------------------------------------
    async def _listen(self, first_attempt: asyncio.Future[None]) -> None:
        backoff = Backoff(*self._retry)
        outage = self.listen_outage = OutageLog(
            log, f"PostgreSQL LISTEN at {redact(self.url)}"
        )
        while True:
            conn: Any = None
            try:
                conn = await self._connect()
                lost = asyncio.Event()
                conn.add_termination_listener(_setter(lost))
                async with self._listen_lock:
                    for name in list(self._by_pg):
                        await conn.add_listener(name, self._notified)
                    self._listen_conn = conn
                if not first_attempt.done():
                    first_attempt.set_result(None)
                if outage.recovered():
                    backoff.reset()
                    self._signal_gap()
                await self._watch(conn, lost)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                outage.failed(exc)
                self._listen_conn = None
                if conn is not None:
                    with contextlib.suppress(Exception):
                        conn.terminate()
                if not first_attempt.done():
                    first_attempt.set_result(None)
                await asyncio.sleep(backoff.next_delay())

    async def _watch(self, conn: Any, lost: asyncio.Event) -> None:
        """Return only by raising: when the connection ends or stops answering."""
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(lost.wait(), self._health_interval)
            if lost.is_set() or conn.is_closed():
                raise BackendUnavailable("the LISTEN connection was closed")
            async with self._listen_lock:
                await asyncio.wait_for(conn.execute("SELECT 1"), self._health_interval)

    def _notified(self, _conn: Any, _pid: int, name: str, payload: str) -> None:
        channel = self._by_pg.get(name)
        if channel is None:
            return
        kind, body = payload[:1], payload[1:]
        if kind == _INLINE:
            data = body[body.find(":") + 1 :].encode()
            if not self._draining and not self._inbound:
                self._deliver(channel, data)  # the fast path: nothing waits for a fetch
                return
            item: tuple[str, bytes | None, int | None] = (channel, data, None)
        elif kind == _STORED and body.isdigit():
            item = (channel, None, int(body))
        else:
            log.warning("liveui: ignored a malformed NOTIFY on %r", name)
            return
        if not self._inbound.put(item):
            self._signal_gap()
        self._inbound_ready.set()

    async def _drain(self) -> None:
        # Stored payloads are fetched in batches; inline ones queued behind them keep their order.
        inbound = self._inbound
        while True:
            await self._inbound_ready.wait()
            self._inbound_ready.clear()
            while inbound:
                self._draining = True
                try:
                    batch = inbound.take(_FETCH_BATCH)
                    ids = [ref for _, _, ref in batch if ref is not None]
                    rows = await self._fetch(ids) if ids else {}
                    missing = 0
                    for channel, data, ref in batch:
                        if ref is not None:
                            data = rows.get(ref)
                        if data is None:
                            missing += 1
                            continue
                        try:
                            self._deliver(channel, data)
                        except Exception:
                            log.exception("liveui: pub/sub handler failed on %r", channel)
                    if missing:
                        log.warning("liveui: %d stored pub/sub payloads could not be read", missing)
                        self._signal_gap()
                finally:
                    self._draining = False

    async def _fetch(self, ids: list[int]) -> dict[int, bytes]:
        conn = self._listen_conn
        if conn is None:
            return {}
        try:
            async with self._listen_lock:
                records = await conn.fetch(self._fetch_sql, ids)
        except Exception as exc:
            log.warning("liveui: fetching stored pub/sub payloads failed: %r", exc)
            return {}
        return {record["id"]: bytes(record["data"]) for record in records}


def _setter(event: asyncio.Event) -> Any:
    return lambda _conn: event.set()


def _inline_text(data: bytes, limit: int) -> str | None:
    """The payload as NOTIFY text if it may travel inline (small, UTF-8, no NUL)."""
    if len(data) > limit or b"\x00" in data:
        return None
    try:
        return data.decode()
    except UnicodeDecodeError:
        return None
