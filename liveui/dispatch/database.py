"""`Database`: run a function over a connection, whether the app's engine is sync or async.

Every query of `liveui.dispatch` is written once, against a sync `Connection`; an `AsyncEngine`
runs it through `run_sync` on the event loop, a sync `Engine` in a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from ..errors import ConfigurationError

__all__ = ["Database"]

T = TypeVar("T")


class Database:
    def __init__(self, engine: Engine | AsyncEngine | None) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str | None:
        return None if self.engine is None else self.engine.dialect.name

    def _require(self) -> Engine | AsyncEngine:
        if self.engine is None:
            raise ConfigurationError("Dispatch needs an engine: Dispatch(settings, engine=...)")
        return self.engine

    async def run(self, fn: Callable[[Connection], T]) -> T:
        """Run `fn` in a transaction (it commits what it writes); reads go through `read`."""
        engine = self._require()
        if isinstance(engine, AsyncEngine):
            async with engine.connect() as conn:
                return await conn.run_sync(fn)
        return await asyncio.to_thread(self.run_blocking, fn)

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """`run` for functions that only read: on a connection in autocommit, so no BEGIN and
        ROLLBACK round trips around them (on PostgreSQL, 2 of the 7 of a batched counter load).
        Each statement sees what was committed when it starts — as inside a READ COMMITTED
        transaction; the version clock is read before the counts either way."""
        engine = self._require()
        if isinstance(engine, AsyncEngine):
            async with engine.connect() as conn:
                # SQLite's driver begins a transaction only before a write, so its reads are
                # already in autocommit; setting it (and resetting it on return to the pool)
                # would cost two trips to aiosqlite's thread per read.
                if engine.dialect.name != "sqlite":
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                return await conn.run_sync(fn)
        return await asyncio.to_thread(self._read_blocking, fn)

    def _read_blocking(self, fn: Callable[[Connection], T]) -> T:
        engine = self._require()
        assert isinstance(engine, Engine)  # `read` sends async engines the other way
        with engine.connect() as conn:
            return fn(conn.execution_options(isolation_level="AUTOCOMMIT"))

    def run_blocking(self, fn: Callable[[Connection], T]) -> T:
        engine = self._require()
        if isinstance(engine, AsyncEngine):
            raise ConfigurationError(
                "a sync commit outside any event loop needs a sync engine; "
                "give Dispatch a sync Engine or commit from async code"
            )
        with engine.connect() as conn:
            return fn(conn)
