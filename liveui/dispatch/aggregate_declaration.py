"""Aggregate declarations: `aggregate(...)` next to the model, in the counters' vocabulary.

    class Order(Base):
        ...
        __aggregates__ = [
            aggregate("my_spent", "sum", of=lambda: Order.amount_cents, scale=2,
                      where=lambda: Order.status == "completed", owner=lambda: Order.user_id),
            aggregate("avg_order", "avg", of=lambda: Order.amount_cents, scale=2,
                      where=lambda: Order.status == "completed", audience="admin"),
        ]

An aggregate is a counter that measures something other than the number of rows: it is bound
into an `Aggregate`, a `Counter` whose `measure`/`read`/`empty` say what to select and how to
read it, so the counters' machinery (session hooks, coalescer, grouped recount, versions,
replay, anti-entropy) carries it unchanged.

Values are `Decimal` (or None), never floats: a column of integer minor units (cents) with
`scale=2` reads as `Decimal("1234.50")`; an average is computed from SUM and COUNT in `Decimal`
(SQLite's AVG would return a float), rounded half-even to `places`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import distinct, func, inspect
from sqlalchemy.orm import Mapper
from sqlalchemy.sql.elements import ColumnElement

from ..errors import ConfigurationError
from .counter_declaration import ROW_EVENTS, Counter, CounterSpec, _watched, bind, counter
from .lazy_columns import Lazy, resolve_lazy

__all__ = ["AGGREGATE_KINDS", "Aggregate", "AggregateSpec", "AggregateValue", "aggregate",
           "bind_aggregate", "to_decimal"]

AGGREGATE_KINDS = ("sum", "avg", "min", "max", "count_distinct")
"""What an aggregate computes over `of`: "count" is `counter(...)`."""


@dataclass(frozen=True, slots=True)
class AggregateValue:
    """An aggregate's value (None: nothing to average, or no minimum/maximum) and the version
    that orders it: readers drop lower versions."""

    value: Decimal | None
    version: int


@dataclass(frozen=True, slots=True)
class AggregateSpec:
    """What `aggregate(...)` returns: a declaration, not yet bound to its model."""

    kind: str
    of: Lazy
    scale: int
    places: int | None
    rows: CounterSpec
    """The shared vocabulary (name, where, owner, audience, on, invalidates)."""

    @property
    def name(self) -> str:
        return self.rows.name


def aggregate(
    name: str,
    kind: str,
    *,
    of: Lazy,
    where: Lazy = None,
    owner: Lazy = None,
    audience: str = "user",
    on: Iterable[str] = ROW_EVENTS,
    invalidates: Iterable[str] = (),
    scale: int = 0,
    places: int | None = None,
) -> AggregateSpec:
    """Declare an aggregate over the rows of the model it is declared on.

    - `kind`: "sum", "avg", "min", "max" or "count_distinct".
    - `of`: the column (or SQL expression) aggregated, e.g. `lambda: Order.amount_cents`.
    - `where`, `owner`, `audience`, `on`, `invalidates`: as for `counter(...)`.
    - `scale`: the column holds integer units of 10**-scale (cents: 2); values are divided
      exactly, in `Decimal`.
    - `places`: decimals an average is rounded to (half-even); default `max(scale, 2)`.

    Sum and distinct count of nothing are 0; average, minimum and maximum of nothing are None.
    """
    rows = counter(name, where=where, owner=owner, audience=audience, on=on,
                   invalidates=invalidates)
    if kind not in AGGREGATE_KINDS:
        raise ConfigurationError(
            f"aggregate {name!r}: kind {kind!r} is not one of {', '.join(AGGREGATE_KINDS)} "
            "(a count of rows is counter(...))"
        )
    if of is None:
        raise ConfigurationError(f"aggregate {name!r}: `of` must name the column aggregated")
    if isinstance(scale, bool) or not isinstance(scale, int) or not 0 <= scale <= 18:
        raise ConfigurationError(f"aggregate {name!r}: `scale` must be an integer from 0 to 18")
    if places is not None and (
        isinstance(places, bool) or not isinstance(places, int) or not 0 <= places <= 18
    ):
        raise ConfigurationError(f"aggregate {name!r}: `places` must be an integer from 0 to 18")
    return AggregateSpec(kind, of, scale, places, rows)


@dataclass(frozen=True, slots=True)
class Aggregate(Counter):
    """An aggregate bound to its model: a `Counter` with another measure."""

    kind: str = "sum"
    of: ColumnElement[Any] | None = None
    scale: int = 0
    places: int = 2

    def measure(self) -> tuple[ColumnElement[Any], ...]:
        of = self.of
        assert of is not None  # bind_aggregate always sets it
        if self.kind == "avg":
            return (func.sum(of), func.count(of))  # divided in Decimal by `read`
        if self.kind == "count_distinct":
            return (func.count(distinct(of)),)
        return (getattr(func, self.kind)(of),)

    @property
    def width(self) -> int:
        return 2 if self.kind == "avg" else 1

    def read(self, row: Any) -> Decimal | None:
        raw = row[0]
        if self.kind == "count_distinct":
            return Decimal(int(raw))
        if self.kind == "avg":
            n = int(row[1] or 0)
            if raw is None or n == 0:
                return None
            mean = to_decimal(raw) / n
            return mean.scaleb(-self.scale).quantize(Decimal(1).scaleb(-self.places),
                                                     ROUND_HALF_EVEN)
        if raw is None:
            return self.empty
        return to_decimal(raw).scaleb(-self.scale)

    @property
    def empty(self) -> Decimal | None:
        if self.kind == "sum":
            return Decimal(0).scaleb(-self.scale)
        if self.kind == "count_distinct":
            return Decimal(0)
        return None


def _numeric(of: ColumnElement[Any]) -> bool:
    """Whether `of` holds numbers (an expression of unknown type is given the benefit)."""
    try:
        pytype = of.type.python_type
    except NotImplementedError:
        return True
    if pytype is object:  # a SQL function SQLAlchemy cannot type
        return True
    return issubclass(pytype, (int, float, Decimal)) and not issubclass(pytype, bool)


def to_decimal(raw: Any) -> Decimal:
    """An aggregate's raw value as a Decimal. Integers and Decimals are exact; a float (a REAL
    column) is taken by its shortest repr, never computed with."""
    if isinstance(raw, bool):
        raise TypeError("an aggregate reads numbers, not booleans")
    if isinstance(raw, (int, Decimal)):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(repr(raw))
    if isinstance(raw, str):
        return Decimal(raw)  # SQLite hands back NUMERIC sums as text at times
    raise TypeError(f"an aggregate reads numbers, not {type(raw).__name__}")


def bind_aggregate(spec: AggregateSpec, model: type[Any]) -> Aggregate:
    """Resolve a declaration against its (configured) model; errors name the aggregate."""
    base = bind(spec.rows, model, what="aggregate")
    try:
        of = resolve_lazy(spec.of)
    except Exception as exc:
        raise ConfigurationError(f"aggregate {spec.name!r}: its `of` failed: {exc}") from exc
    if hasattr(of, "__clause_element__"):
        of = of.__clause_element__()
    if not isinstance(of, ColumnElement):
        raise ConfigurationError(f"aggregate {spec.name!r}: `of` must be a column or expression")
    if spec.kind != "count_distinct" and not _numeric(of):
        raise ConfigurationError(
            f"aggregate {spec.name!r}: {spec.kind} needs a number, and `of` is of type "
            f"{of.type}; count_distinct counts values of any type"
        )
    mapper: Mapper[Any] = inspect(model)
    watched = base.watched
    if watched is not None:
        # An update of the measured column moves a sum even when the filter does not change.
        read = _watched(mapper, of)
        watched = None if read is None else watched | read
    places = spec.places if spec.places is not None else max(spec.scale, 2)
    return Aggregate(
        name=base.name,
        model=base.model,
        where=base.where,
        owner=base.owner,
        audience=base.audience,
        on=base.on,
        invalidates=base.invalidates,
        watched=watched,
        owner_key=base.owner_key,
        kind=spec.kind,
        of=of,
        scale=spec.scale,
        places=places,
    )
