"""A throwaway PostgreSQL database for one test: created empty, dropped afterwards."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url


@contextmanager
def throwaway_database(server_url: str, prefix: str = "liveui_test") -> Iterator[str]:
    """Yield the URL of a new, empty database on the server of `server_url`."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin_url = make_url(server_url).set(drivername="postgresql")

    async def run(sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(admin_url.render_as_string(hide_password=False))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
