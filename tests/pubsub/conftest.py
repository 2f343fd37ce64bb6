"""Backends over real servers: memory, the machine's Redis, the machine's PostgreSQL.

Each test gets its own channel names (and its own PostgreSQL payload table), so parallel runs
of the suite never see each other's messages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from liveui import Backend
from liveui.pubsub.backends.memory import MemoryBackend
from tests.pubsub.pubsub_helpers import BackendFactory, unique


@pytest.fixture
def channel_name() -> Callable[[], str]:
    return lambda: unique("liveui-test:")


@pytest.fixture(params=["memory", "redis", "postgres"])
def backend_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def make_backend(
    request: pytest.FixtureRequest, backend_kind: str
) -> AsyncIterator[BackendFactory]:
    """Start backends of this test's kind on the real servers; stops them all afterwards."""
    started: list[Backend] = []
    url = ""
    table = ""
    if backend_kind == "redis":
        url = request.getfixturevalue("redis_url")
    elif backend_kind == "postgres":
        url = request.getfixturevalue("postgres_url")
        table = unique("liveui_pubsub_t")

    async def make(**options: Any) -> Backend:
        backend: Backend
        if backend_kind == "memory":
            backend = MemoryBackend()
        elif backend_kind == "redis":
            from liveui.pubsub.backends.redis import RedisBackend

            backend = RedisBackend(url, **options)
        else:
            from liveui.pubsub.backends.postgres import PostgresBackend

            backend = PostgresBackend(url, table=table, **options)
        await backend.start()
        started.append(backend)
        return backend

    yield make
    for backend in reversed(started):
        await backend.stop()
    if table:
        await drop_table(url, table)


async def drop_table(url: str, table: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"DROP TABLE IF EXISTS {table}")
    finally:
        await conn.close()
