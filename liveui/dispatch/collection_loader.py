"""`CollectionLoader`: the rows of a declared collection, for one user or for changed keys.

Cost contract: a page for one user is one query (plus one audience check for a collection with
an audience other than "user"); the re-read after commits is one query per collection for
however many keys and sessions, `WHERE pk IN (...) AND <where>`, with no user filter — the
sessions filter the rows by owner and audience themselves. Every read carries the version of
its start (see `values`).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, Select, cast, exists, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..errors import ConfigurationError
from ..row_events import DEFAULT_VIEW, CollectionInfo, RowsPage, RowsRead, RowState, Series, View
from .collection_declaration import Collection
from .counter_loader import coerce_id
from .counter_registry import CounterRegistry
from .database import Database
from .values import ReadClock

__all__ = ["CollectionLoader"]

log = logging.getLogger("liveui.dispatch")

KEY_CHUNK = 5_000
MAX_PAGE = 500


class CollectionLoader:
    def __init__(self, registry: CounterRegistry, database: Database) -> None:
        self.registry = registry
        self.database = database
        self.clock = ReadClock(database.dialect)
        self.queries = 0
        """Queries run so far (page loads and re-reads), for benchmarks and tests."""
        # The newest state of each row read, held while a session shows it: a page load that
        # finds a row unchanged hands out that very object (one copy of its values and one
        # render for every tab showing it, not one per tab).
        self._known: weakref.WeakValueDictionary[tuple[str, View, Any], RowState] = (
            weakref.WeakValueDictionary())

    def info(self, name: str) -> CollectionInfo:
        return self.registry.collection(name).info

    def _bound(self, name: str, view: View) -> Collection:
        """The collection as `view` shows it; a view it does not declare is a caller's
        mistake (the live side checks views against the declaration): ConfigurationError."""
        try:
            return self.registry.collection(name).for_view(view)
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None

    # who may look -----------------------------------------------------------------------------
    async def can_view(self, name: str, user_id: Any) -> bool:
        c = self.registry.collection(name)
        if c.audience == "user":
            return user_id is not None
        return await self.database.read(lambda conn: self._member(conn, c, user_id))

    def _member(self, conn: Connection, c: Collection, user_id: Any) -> bool:
        if user_id is None:
            return False
        if c.audience == "user":
            return True
        id_column = self.registry.user_id_column
        try:
            uid = coerce_id(id_column, user_id)
        except ValueError:
            return False
        check = exists().where(id_column == uid, self.registry.audience_filter(c.audience))
        self.queries += 1
        return bool(conn.execute(select(check)).scalar())

    # one user's rows --------------------------------------------------------------------------
    async def load_page(
        self, name: str, user_id: Any, *, limit: int, after: tuple[Any, ...] | None = None,
        view: View = DEFAULT_VIEW,
    ) -> RowsPage:
        c = self._bound(name, view)
        limit = max(1, min(int(limit), MAX_PAGE))

        def load(conn: Connection) -> RowsPage:
            version = self.clock.read(conn)
            if not self._member(conn, c, user_id):
                return RowsPage(version, [], False)
            query = c.select_rows().order_by(*c.order_clauses()).limit(limit + 1)
            if c.owner is not None:
                try:
                    query = query.where(c.owner == coerce_id(c.owner, user_id))
                except ValueError:
                    return RowsPage(version, [], False)
            if after is not None:
                query = query.where(c.after(after))
            rows = self._states(conn, c, query, version)
            return RowsPage(version, rows[:limit], len(rows) > limit)

        page = await self.database.read(load)
        shared = [self._share(name, view, row) for row in page.rows]
        return RowsPage(page.version, shared, page.has_more)

    def _share(self, name: str, view: View, row: RowState) -> RowState:
        """`row`, or the known state of it when equal (older than the page, then: sessions hold
        a page's rows at the page's version at least)."""
        key = (name, view, row.key)
        known = self._known.get(key)
        if known is not None and (
            known.values == row.values and known.sort == row.sort and known.owner == row.owner
        ):
            return known
        self._known[key] = row
        return row

    # the shared re-read after commits ---------------------------------------------------------
    async def load_keys(
        self, name: str, keys: Sequence[Any], view: View = DEFAULT_VIEW
    ) -> RowsRead:
        c = self._bound(name, view)
        wanted = [_coerce_key(c, k) for k in keys]

        query = c.rows_by_key(self.database.dialect)

        def load(conn: Connection) -> RowsRead:
            version = self.clock.read(conn)
            found: dict[Any, RowState | None] = dict.fromkeys(wanted)
            for i in range(0, len(wanted), KEY_CHUNK):
                chunk = wanted[i : i + KEY_CHUNK]
                for row in self._states(conn, c, query, version, {"keys": chunk}):
                    found[row.key] = row
            return RowsRead(name, version, found, view)

        read = await self.database.read(load)
        known = self._known
        for key, row in read.rows.items():
            if row is not None:
                known[(name, view, key)] = row  # the newest state: what pages will share
        return read

    # counts per time bucket (charts) ----------------------------------------------------------
    async def load_series(
        self, name: str, user_id: Any, *, time: str, start: int, step: int, buckets: int,
        view: View = DEFAULT_VIEW, group_by: str | None = None, sum_of: str | None = None,
    ) -> Series:
        c = self._bound(name, view)
        column = getattr(c.model, time, None)
        if column is None or time not in c.column_keys:
            raise ConfigurationError(f"collection {name!r}: {c.model.__name__} has no column "
                                     f"{time!r} to chart")
        group = getattr(c.model, group_by, None) if group_by is not None else None
        if group_by is not None and (group is None or group_by not in c.column_keys):
            raise ConfigurationError(f"collection {name!r}: {c.model.__name__} has no column "
                                     f"{group_by!r} to group a chart by")
        measure: ColumnElement[Any] = func.count()
        if sum_of is not None:  # an aggregate per bucket: integers only (money in cents)
            summed = getattr(c.model, sum_of, None)
            python_type = _python_type(summed)
            if summed is None or sum_of not in c.column_keys or python_type is not int:
                raise ConfigurationError(f"collection {name!r}: {c.model.__name__} has no "
                                         f"integer column {sum_of!r} to sum in a chart")
            measure = func.coalesce(func.sum(summed), 0)
        step = max(1, int(step))
        buckets = max(1, min(int(buckets), 1000))
        dialect = self.database.dialect

        def load(conn: Connection) -> Series:
            version = self.clock.read(conn)
            counts = [0] * buckets
            if not self._member(conn, c, user_id):
                return Series(version, start, step, tuple(counts))
            since = datetime.fromtimestamp(start, UTC)
            if not getattr(column.type, "timezone", False):
                since = since.replace(tzinfo=None)  # a naive column holds UTC
            bucket = _epoch(column, dialect) / step
            index = cast(func.floor(bucket), BigInteger) if dialect == "postgresql" else \
                cast(bucket, Integer)
            columns = [index] if group is None else [index, group]
            query = select(*columns, measure).select_from(c.model).where(column >= since)
            if c.where is not None:
                query = query.where(c.where)
            if c.owner is not None:
                try:
                    query = query.where(c.owner == coerce_id(c.owner, user_id))
                except ValueError:
                    return Series(version, start, step, tuple(counts))
            self.queries += 1
            first = start // step
            groups: dict[str, list[int]] = {}
            for found in conn.execute(query.group_by(*columns)):
                i, n = found[0], found[-1]
                if i is None or not 0 <= int(i) - first < buckets:
                    continue
                counts[int(i) - first] += int(n)
                if group is not None:
                    per = groups.setdefault(str(found[1]), [0] * buckets)
                    per[int(i) - first] += int(n)
            return Series(version, start, step, tuple(counts),
                          {k: tuple(v) for k, v in sorted(groups.items())})

        return await self.database.read(load)

    # helpers ----------------------------------------------------------------------------------
    def _states(
        self, conn: Connection, c: Collection, query: Select[Any], version: int,
        params: dict[str, Any] | None = None,
    ) -> list[RowState]:
        self.queries += 1
        if c.row is None:
            keys = c.column_keys  # `select_rows` order (its labels are column names, not keys)
            return [c.columns_state(dict(zip(keys, row, strict=True)), version)
                    for row in conn.execute(query, params)]
        # A session on the caller's connection: `row` functions may follow relationships.
        with Session(bind=conn) as session:
            instances = session.scalars(query, params).unique().all()
            return [c.state(instance, version) for instance in instances]


def _coerce_key(c: Collection, key: Any) -> Any:
    try:
        return coerce_id(c.primary_key, key)
    except ValueError:
        return key


def _epoch(column: Any, dialect: str | None) -> Any:
    """Seconds since the epoch of a datetime column, in SQL."""
    if dialect == "postgresql":
        return func.extract("epoch", column)
    if dialect in ("mysql", "mariadb"):
        return func.unix_timestamp(column)
    return cast(func.strftime("%s", column), Integer)  # SQLite


def _python_type(column: Any) -> type | None:
    """The Python type a mapped column holds (None when it cannot say)."""
    try:
        found: type = column.type.python_type
    except (AttributeError, NotImplementedError):
        return None
    return found
