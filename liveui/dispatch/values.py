"""Versions of counter values: they order *reads*, so every reader can keep the newest value.

A counter's version is the time its query started, taken before the database takes the query's
snapshot. A read that started later saw at least every transaction an earlier read saw, so a
stale value never carries a newer version than a fresher one — whichever node read it, and
however late its broadcast arrives. Two consequences:

- no node decides alone that a value is "unchanged" (another node may have broadcast something
  else in between): every recount is broadcast, and readers drop what is not newer;
- the last recount after the last commit carries the highest version and the database's value,
  so every reader that receives it converges, whatever order the other broadcasts took.

On PostgreSQL the clock is the database server's (`statement_timestamp()`), one clock for every
node; elsewhere (SQLite: one host) the process's wall clock.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import BigInteger, Select, cast, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

__all__ = ["ReadClock", "now_version"]

_lock = threading.Lock()
_last = 0


def now_version() -> int:
    """Microseconds of the wall clock, strictly increasing within the process (exact in a
    JavaScript number, which nanoseconds are not)."""
    global _last
    with _lock:
        now = time.time_ns() // 1000
        _last = now if now > _last else _last + 1
        return _last


class ReadClock:
    """Where a read's version comes from, for one database dialect."""

    def __init__(self, dialect: str | None) -> None:
        self.dialect = dialect
        self.column: ColumnElement[Any] | None = None
        self._statement: Select[Any] | None = None
        if dialect == "postgresql":
            # Taken when the statement arrives, before its snapshot: microseconds since epoch.
            epoch = func.extract("epoch", func.statement_timestamp())
            self.column = cast(func.floor(epoch * 1_000_000), BigInteger)
            self._statement = select(self.column)

    def read(self, conn: Connection) -> int:
        """A version for the statements run next on `conn` (each takes a later snapshot)."""
        if self._statement is None:
            return now_version()
        return int(conn.execute(self._statement).scalar_one())
