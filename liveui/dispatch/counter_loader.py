"""`CounterLoader`: counter values for a user, and the grouped recount after commits.

Cost contract: a recompute of a lone commit (at most `FOLDED_MAX` subqueries: a few owners)
costs ONE statement for every counter and aggregate it moved, the clock in it
(`FoldedRecount`), plus one membership query per audience whose global counter moved. A larger
recompute (a batch, a burst) costs one `GROUP BY owner` query per owner counter (over just the
owners the commits touched) and one query per global counter, whose single value is fanned out
to every member of its audience (one membership query per audience), plus, on PostgreSQL, one
read of the database clock for the versions. Loading a user's counters (page render, reconnect,
join) goes through a `LoadBatcher`: the loads of all the users that arrive together cost, per
batch, one `GROUP BY owner` query per owner counter, one query per global counter, one query
per audience the counters need, and the clock.

Counters and aggregates moved by the same commits are recounted in one read (`recompute(...,
also=[aggregates])`): one clock read and one membership query per audience for both.

Every recount is broadcast with the version of its read (see `values`): no node keeps a "last
value broadcast" to decide what is news, because another node may have broadcast in between.

The loader asks each declaration what to select (`Counter.measure`) and how to read it
(`Counter.read`, `Counter.empty`); `AggregateLoader` reuses all of it for sums, averages, minima,
maxima and distinct counts by overriding the few hooks marked below.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from ..user_events import COUNTER_UPDATED, counter_updated, user_topic
from .broadcaster import Broadcaster
from .changes import ChangeSet
from .counter_declaration import Counter, CounterValue
from .counter_registry import CounterRegistry
from .database import Database
from .folded_recount import FoldedRecount, FoldedValues, scalar_counts
from .load_batcher import LoadBatcher
from .one_of import one_of, one_of_param
from .values import ReadClock

__all__ = ["CounterLoader", "coerce_id"]

log = logging.getLogger("liveui.dispatch")

OWNER_CHUNK = 5_000
"""Owners per IN list; far below every driver's bound-parameter limit."""


def coerce_id(column: ColumnElement[Any], value: Any) -> Any:
    """A user id from a topic string, converted to the column's Python type ("5" -> 5)."""
    try:
        pytype = column.type.python_type
    except NotImplementedError:
        return value
    if isinstance(value, pytype):
        return value
    if pytype is int and isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"user id {value!r} is not an integer") from None
    if pytype is str:
        return str(value)
    return value


@dataclass(slots=True)
class _Count:
    counter: Counter
    started: int
    values: dict[Any, Any]
    loader: CounterLoader
    """Who broadcasts it (counters and aggregates send different events)."""


class CounterLoader:
    def __init__(
        self,
        registry: CounterRegistry,
        database: Database,
        broadcast: Broadcaster,
    ) -> None:
        self.registry = registry
        self.database = database
        self.broadcast = broadcast
        self.clock = ReadClock(database.dialect)
        self.folded: FoldedRecount[CounterLoader] = FoldedRecount(self.clock)
        # Per audience, built once: who is in it, and which of some owners (`members`) are.
        self._audiences: dict[str, Select[Any]] = {}
        self._members_of: dict[str, Select[Any]] = {}
        self.batcher: LoadBatcher[dict[str, Any]] = LoadBatcher(self._load_batch)

    # what a subclass loading another kind of declaration overrides -----------------------------
    def _declared(self) -> Mapping[str, Counter]:
        """The declarations this loader reads, by name."""
        return self.registry.counters

    def _wrap(self, value: Any, version: int) -> Any:
        """A value read and its version, as callers get them."""
        return CounterValue(int(value), version)

    def _send(self, topic: str, c: Counter, value: Any, version: int) -> None:
        """Broadcast one recount."""
        self.broadcast(topic, COUNTER_UPDATED, counter_updated(c.name, value, version,
                                                               c.invalidates))

    def _select(self, models: Iterable[type[Any]] | None) -> list[Counter]:
        declared = list(self._declared().values())
        if models is None:
            return declared
        wanted = set(models)
        return [c for c in declared if c.model in wanted]

    # loading ---------------------------------------------------------------------------------
    async def audiences_of(self, user_id: Any) -> set[str]:
        """"user" plus every configured audience whose filter matches this user."""
        return await self.database.read(lambda conn: self._audiences_of(conn, user_id))

    async def members_of(self, audience: str) -> list[Any]:
        """The user ids in `audience` ("user": every user)."""
        query = select(self.registry.user_id_column).where(self.registry.audience_filter(audience))
        return await self.database.read(lambda conn: list(conn.execute(query).scalars()))

    async def load_counter_values(
        self, user_id: Any, models: Iterable[type[Any]] | None = None
    ) -> dict[str, CounterValue]:
        """This user's counters (audience-filtered) with their versions, loaded in one batch with
        the other users' loads that arrive at the same time."""
        return await self._load_values(user_id, models)

    async def _load_values(
        self, user_id: Any, models: Iterable[type[Any]] | None
    ) -> dict[str, Any]:
        counters = self._select(models)
        if not counters:
            return {}
        if user_id is None:  # no owner to group by: the anonymous load stays on its own
            visible = [c for c in counters if c.audience == "user"]
            return await self.database.read(lambda conn: self._load(conn, visible, None))
        for c in counters:
            if c.owner is not None:
                coerce_id(c.owner, user_id)  # a malformed id fails its caller, not the batch
        names = tuple(c.name for c in counters)
        return await self.batcher.load(names, user_id)

    async def _load_batch(
        self, names: Hashable, user_ids: Sequence[Hashable]
    ) -> dict[Hashable, dict[str, CounterValue]]:
        assert isinstance(names, tuple)
        declared = self._declared()
        counters = [declared[name] for name in names]
        return await self.database.read(lambda conn: self._load_many(conn, counters, user_ids))

    def _load_many(
        self, conn: Connection, counters: Sequence[Counter], user_ids: Sequence[Any]
    ) -> dict[Any, dict[str, Any]]:
        """The counters of many users: one grouped query per counter, whatever their number."""
        needed = {c.audience for c in counters} - {"user"}
        members = {name: self._members(conn, name, user_ids) for name in sorted(needed)}
        started = self.clock.read(conn)  # before every query below: a valid version for all
        loaded: dict[Any, dict[str, Any]] = {u: {} for u in user_ids}
        for c in counters:
            viewers = [u for u in user_ids if c.audience == "user" or u in members[c.audience]]
            if not viewers:
                continue
            try:
                if c.owner is None:
                    n = c.read(conn.execute(self._global_count(c)).one())
                    for u in viewers:
                        loaded[u][c.name] = self._wrap(n, started)
                    continue
                owners = {u: coerce_id(c.owner, u) for u in viewers}
                counts = self._count_owners(conn, c, set(owners.values()))
            except Exception:
                # One broken counter must not hide the others: it is left out of this batch, and
                # readers keep what they show (nothing is invented).
                conn.rollback()
                log.exception("liveui.dispatch: loading counter %r failed", c.name)
                continue
            for u, owner in owners.items():
                loaded[u][c.name] = self._wrap(counts.get(owner, c.empty), started)
        return loaded

    def _members(self, conn: Connection, audience: str, user_ids: Sequence[Any]) -> set[Any]:
        """Which of `user_ids` (as given) are in `audience`."""
        column = self.registry.user_id_column
        by_id: dict[Any, list[Any]] = {}
        for u in user_ids:
            by_id.setdefault(coerce_id(column, u), []).append(u)
        found: set[Any] = set()
        ordered = list(by_id)
        for i in range(0, len(ordered), OWNER_CHUNK):
            query = select(column).where(
                one_of(conn, column, ordered[i : i + OWNER_CHUNK]),
                self.registry.audience_filter(audience),
            )
            for member in conn.execute(query).scalars():
                found.update(by_id.get(member, ()))
        return found

    def _count_owners(self, conn: Connection, c: Counter, owners: Iterable[Any]) -> dict[Any, Any]:
        """`{owner: value}` over `owners` (absent: none matched), one `GROUP BY` per chunk of
        owners."""
        assert c.owner is not None
        counts: dict[Any, Any] = {}
        ordered = list(owners)
        for i in range(0, len(ordered), OWNER_CHUNK):
            query = (
                select(c.owner, *c.measure())
                .select_from(c.model)
                .where(one_of(conn, c.owner, ordered[i : i + OWNER_CHUNK]))
                .group_by(c.owner)
            )
            if c.where is not None:
                query = query.where(c.where)
            counts.update((row[0], c.read(row[1:])) for row in conn.execute(query))
        return counts

    async def load_counters_for_user(
        self, user_id: Any, models: Iterable[type[Any]] | None = None
    ) -> dict[str, int]:
        values = await self.load_counter_values(user_id, models)
        return {name: v.value for name, v in values.items()}

    async def load_audience_counters(self, audience: str) -> dict[str, int]:
        """The global counters of one audience (owner counters need a user: see above)."""
        visible = [
            c for c in self._declared().values() if c.audience == audience and c.is_global
        ]
        values = await self.database.read(lambda conn: self._load(conn, visible, None))
        return {name: v.value for name, v in values.items()}

    async def load_admin_counters(self) -> dict[str, int]:
        return await self.load_audience_counters("admin")

    def _audiences_of(self, conn: Connection, user_id: Any) -> set[str]:
        names = self.registry.audience_names
        if not names or user_id is None:
            return {"user"}
        id_column = self.registry.user_id_column
        uid = coerce_id(id_column, user_id)
        checks = [
            exists().where(id_column == uid, self.registry.audience_filter(name))
            for name in names
        ]
        row = conn.execute(select(*checks)).one()
        return {"user", *(name for name, member in zip(names, row, strict=True) if member)}

    def _load(
        self, conn: Connection, counters: Sequence[Counter], user_id: Any
    ) -> dict[str, Any]:
        if not counters:
            return {}
        clock = self.clock.column
        # One scalar subquery per measured column (an average reads two: sum and count).
        counts = [self._count(c, user_id) for c in counters]
        flat = [column for columns in counts for column in columns]
        counted: dict[str, Any] = {}
        try:
            if clock is None:
                started = self.clock.read(conn)
                row: Sequence[Any] = conn.execute(select(*flat)).one()
            else:  # the version in the same statement: no extra round trip
                started, *row = conn.execute(select(clock, *flat)).one()
            at = 0
            for c, columns in zip(counters, counts, strict=True):
                counted[c.name] = c.read(row[at : at + len(columns)])
                at += len(columns)
        except Exception:
            # Find the culprit(s) one by one, so one broken counter does not hide the others.
            conn.rollback()
            started = self.clock.read(conn)
            counted = {}
            for c, columns in zip(counters, counts, strict=True):
                try:
                    counted[c.name] = c.read(conn.execute(select(*columns)).one())
                except Exception:
                    conn.rollback()
                    log.exception("liveui.dispatch: loading counter %r failed", c.name)
        # A counter that failed is left out: a reader keeps what it shows, nothing is invented.
        return {name: self._wrap(n, int(started)) for name, n in counted.items()}

    def _count(self, c: Counter, user_id: Any) -> list[Any]:
        return scalar_counts(c, None if c.owner is None else coerce_id(c.owner, user_id))

    # recomputing after commits ---------------------------------------------------------------
    def moves(self, changes: ChangeSet) -> bool:
        """Whether `changes` touched any declaration this loader reads."""
        declared = self._declared()
        return any(name in declared for name in (*changes.owners, *changes.globals))

    async def recompute(
        self,
        changes: ChangeSet,
        *,
        also: Sequence[CounterLoader] = (),
        first: Callable[[], None] | None = None,
    ) -> int:
        """Recount what `changes` touched and broadcast every value read; returns how many
        broadcasts were made. `also`: other loaders (the aggregates') recounted in the same
        read, sharing its version and its audience membership queries. `first`: called once
        the read is done, just before the values are broadcast (the commit's other broadcasts,
        so they leave together)."""
        loaders = [loader for loader in (self, *also) if loader.moves(changes)]
        if not loaders:
            return 0  # nothing declared moved: not even the clock is read

        def read(conn: Connection) -> tuple[list[_Count], dict[str, list[Any]]]:
            sources = [(loader, loader._declared()) for loader in loaders]
            folded = self.folded.read(conn, sources, changes)
            if folded is None:
                # One version for the whole recount, read before any of its queries.
                started = self.clock.read(conn)
                counts = [n for loader in loaders for n in loader._recount(conn, changes, started)]
            else:
                counts = self._folded_counts(conn, *folded)
            audiences = {n.counter.audience for n in counts if n.counter.is_global}
            return counts, self._audience_members(conn, audiences)

        counts, members = await self.database.read(read)
        if first is not None:
            first()
        sent = 0
        for count in counts:
            c, send = count.counter, count.loader._send
            if c.is_global:
                if c.audience not in members:
                    continue  # could not tell who should hear it: readers keep what they show
                for member in members.get(c.audience, ()):
                    send(user_topic(member), c, count.values[None], count.started)
                    sent += 1
                continue
            for owner, n in count.values.items():
                send(user_topic(owner), c, n, count.started)
                sent += 1
        return sent

    def _folded_counts(
        self, conn: Connection, started: int, found: list[FoldedValues[CounterLoader]]
    ) -> list[_Count]:
        counts: list[_Count] = []
        for loader, c, values in found:
            if c.owner is not None and c.audience != "user":
                try:
                    values = loader._members_only(conn, c.audience, values)
                except Exception:
                    conn.rollback()
                    log.exception("liveui.dispatch: recounting counter %r failed; keeping its "
                                  "last values", c.name)
                    continue
            counts.append(_Count(c, started, values, loader))
        return counts

    def _recount(self, conn: Connection, changes: ChangeSet, started: int) -> list[_Count]:
        counters = self._declared()
        counts: list[_Count] = []
        for name, owners in changes.owners.items():
            c = counters.get(name)
            if c is None or c.owner is None or not owners:
                continue
            try:
                values = dict.fromkeys(owners, c.empty)
                values.update(self._count_owners(conn, c, owners))
                if c.audience != "user":
                    values = self._members_only(conn, c.audience, values)
            except Exception:
                conn.rollback()
                log.exception(
                    "liveui.dispatch: recounting counter %r failed; keeping its last values",
                    name,
                )
                continue
            counts.append(_Count(c, started, values, self))
        for name in changes.globals:
            c = counters.get(name)
            if c is None:
                continue
            try:
                n = c.read(conn.execute(self._global_count(c)).one())
            except Exception:
                conn.rollback()
                log.exception(
                    "liveui.dispatch: recounting counter %r failed; keeping its last value", name
                )
                continue
            counts.append(_Count(c, started, {None: n}, self))
        return counts

    def _audience_members(self, conn: Connection, audiences: Iterable[str]) -> dict[str, list[Any]]:
        members: dict[str, list[Any]] = {}
        for audience in sorted(audiences):
            try:
                query = self._audiences.get(audience)
                if query is None:
                    query = self._audiences[audience] = select(
                        self.registry.user_id_column
                    ).where(self.registry.audience_filter(audience))
                members[audience] = list(conn.execute(query).scalars())
            except Exception:
                conn.rollback()
                log.exception("liveui.dispatch: loading the members of audience %r failed",
                              audience)
        return members

    def _members_only(
        self, conn: Connection, audience: str, values: dict[Any, Any]
    ) -> dict[Any, Any]:
        """An owner counter with an audience goes to the owners in that audience only, the
        same rule `load_counters_for_user` applies: the recount must not tell the others."""
        query = self._members_of.get(audience)
        if query is None:
            column = self.registry.user_id_column
            query = self._members_of[audience] = select(column).where(
                one_of_param(self.database.dialect, column, "members"),
                self.registry.audience_filter(audience),
            )
        members: set[Any] = set()
        ordered = list(values)
        for i in range(0, len(ordered), OWNER_CHUNK):
            members.update(conn.execute(query, {"members": ordered[i : i + OWNER_CHUNK]}).scalars())
        return {owner: n for owner, n in values.items() if owner in members}

    @staticmethod
    def _global_count(c: Counter) -> Select[Any]:
        query: Select[Any] = select(*c.measure()).select_from(c.model)
        if c.where is not None:
            query = query.where(c.where)
        return query
