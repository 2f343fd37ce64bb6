"""`FoldedRecount`: everything a lone commit moved, recounted in ONE statement.

A commit usually touches one or two owners, and the counters and aggregates over the rows it
changed: recounted one query each, that is a round trip (and, on SQLite, several hops to the
driver's thread) per counter. Folded, each counter is a scalar subquery with its own filter (so
each keeps its index) in one `SELECT`, with the database clock in it where the database has one.

The statement for one shape of recount (which counters, how many owners each) is built once
and kept, its owners bound as parameters: SQLAlchemy then finds its compiled form without
walking the statement again.

A recount touching many owners at once (a batch, a burst) does not fold: more than
`FOLDED_MAX` subqueries, where one `GROUP BY owner` per counter costs less.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, bindparam, select
from sqlalchemy.engine import Connection

from .changes import ChangeSet
from .counter_declaration import Counter
from .values import ReadClock

Source = TypeVar("Source")
"""Whoever declared the counters of one mapping (the loader that broadcasts them)."""

__all__ = ["FOLDED_MAX", "FoldedRecount", "FoldedValues", "scalar_counts"]

FOLDED_MAX = 16
"""Most scalar subqueries one recount folds into a single statement."""

SHAPES_KEPT = 256
"""Statements kept, one per shape of recount (a bound on what odd shapes can hold)."""

FoldedValues = tuple[Source, Counter, dict[Any, Any]]
"""A counter recounted: its source, itself, `{owner: value}` (`{None: value}`: global)."""


@dataclass(frozen=True, slots=True)
class _Shape:
    statement: Select[Any]
    widths: tuple[int, ...]
    """Columns per owner of each counter moved, in order."""


class FoldedRecount(Generic[Source]):
    def __init__(self, clock: ReadClock) -> None:
        self.clock = clock
        self._shapes: dict[tuple[Any, ...], _Shape] = {}

    def read(
        self,
        conn: Connection,
        sources: Sequence[tuple[Source, Mapping[str, Counter]]],
        changes: ChangeSet,
    ) -> tuple[int, list[FoldedValues[Source]]] | None:
        """The version and the values of everything `changes` moved among the counters each
        source declares; None when it does not fold (too many subqueries) or the statement
        failed (rolled back: the grouped recount then finds the culprit counter by counter)."""
        moved = _moved(sources, changes)
        if moved is None:
            return None
        if not moved:
            return self.clock.read(conn), []
        key = tuple((id(source), c.name, len(owners)) for source, c, owners in moved)
        shape = self._shapes.get(key)
        if shape is None:
            shape = _build(moved, self.clock)
            if len(self._shapes) >= SHAPES_KEPT:
                self._shapes.clear()
            self._shapes[key] = shape
        params = {
            f"o{i}_{j}": owner
            for i, (_, _, owners) in enumerate(moved) if owners != [None]
            for j, owner in enumerate(owners)
        }
        try:
            if self.clock.column is None:
                started = self.clock.read(conn)
                row: Sequence[Any] = conn.execute(shape.statement, params).one()
            else:
                started, *row = conn.execute(shape.statement, params).one()
            found: list[FoldedValues[Source]] = []
            at = 0
            for (source, c, owners), width in zip(moved, shape.widths, strict=True):
                values: dict[Any, Any] = {}
                for owner in owners:
                    values[owner] = c.read(row[at : at + width])
                    at += width
                found.append((source, c, values))
        except Exception:
            conn.rollback()
            return None
        return int(started), found


def _moved(
    sources: Sequence[tuple[Source, Mapping[str, Counter]]], changes: ChangeSet
) -> list[tuple[Source, Counter, list[Any]]] | None:
    """(source, counter, owners) of every counter `changes` moved (`[None]`: a global one);
    None when they would take more than `FOLDED_MAX` subqueries."""
    moved: list[tuple[Source, Counter, list[Any]]] = []
    width = 0
    for source, declared in sources:
        touched: list[tuple[Counter | None, Iterable[Any]]] = [
            (declared.get(name), owners) for name, owners in changes.owners.items()
        ]
        touched += [(declared.get(name), [None]) for name in sorted(changes.globals)]
        for c, owners in touched:
            ordered = list(owners)
            if c is None or not ordered or (c.owner is None) != (ordered == [None]):
                continue  # not this loader's, or not what the grouped recount would read
            width += len(ordered) * c.width
            if width > FOLDED_MAX:
                return None
            moved.append((source, c, ordered))
    return moved


def _build(moved: list[tuple[Any, Counter, list[Any]]], clock: ReadClock) -> _Shape:
    columns: list[Any] = [] if clock.column is None else [clock.column]
    widths: list[int] = []
    for i, (_, c, owners) in enumerate(moved):
        widths.append(c.width)
        for j in range(len(owners)):
            owner = None if c.owner is None else bindparam(f"o{i}_{j}", type_=c.owner.type)
            columns += scalar_counts(c, owner)
    return _Shape(select(*columns), tuple(widths))


def scalar_counts(c: Counter, owner: Any) -> list[Any]:
    """`c`'s measured columns as scalar subqueries over its rows (of `owner`, a value or a
    bound parameter, for an owner counter)."""
    out = []
    for measured in c.measure():
        query: Select[Any] = select(measured).select_from(c.model)
        if c.where is not None:
            query = query.where(c.where)
        if c.owner is not None:
            query = query.where(c.owner == owner)
        out.append(query.scalar_subquery())
    return out
