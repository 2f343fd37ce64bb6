"""`describe_counters`: what is declared, as plain data, for "why does my badge not update?"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.schema import Column

from .aggregate_declaration import Aggregate
from .counter_declaration import Counter
from .counter_registry import CounterRegistry
from .dispatch_settings import DispatchSettings

if TYPE_CHECKING:
    from .dispatch import Dispatch

__all__ = ["CounterInfo", "describe_counters"]


@dataclass(frozen=True, slots=True)
class CounterInfo:
    name: str
    model: str
    table: str
    audience: str
    owner: str | None
    triggers: tuple[str, ...]
    invalidates: tuple[str, ...]
    where: str
    """The filter as SQL, with its parameters inlined."""
    watched: tuple[str, ...] | None
    """Attributes whose update triggers a recount (None: any update)."""
    index: str
    """The index that keeps the grouped recount cheap."""
    index_columns: tuple[str, ...] = ()
    """Its columns (empty when none is needed or it cannot be derived)."""
    indexed_by: str | None = None
    """An index the model already declares on those columns (then nothing is to be added)."""
    declared: str = ""
    """The declaration's name when `counter_name` gave it another on the wire (`name`)."""
    kind: str = "count"
    """"count" for a counter, else the aggregate's kind ("sum", "avg", ...)."""
    measure: str = "count(*)"
    """What one read selects per owner, as SQL."""

    @property
    def index_name(self) -> str:
        return f"ix_{self.table}_{'_'.join(self.index_columns)}"

    def __str__(self) -> str:
        owner = f"owner={self.owner}" if self.owner else f"global, audience={self.audience}"
        declared = f" (declared as {self.declared})" if self.declared else ""
        return (
            f"{self.name}{declared} on {self.model} ({owner}; on {', '.join(self.triggers)}): "
            f"WHERE {self.where}; index: {self.index}"
        )


def describe_counters(
    source: Dispatch | DispatchSettings | type[Any],
    *,
    dialect: Dialect | None = None,
) -> list[CounterInfo]:
    """The counters and aggregates declared on a model (a class with `__counters__` /
    `__aggregates__`), or across a dispatch's (or settings') configured models, sorted by
    name."""
    if isinstance(source, DispatchSettings):
        registry = CounterRegistry(source)
    elif isinstance(source, type):
        registry = CounterRegistry(DispatchSettings(models=[source]), check_audiences=False)
    else:
        registry = source.registry
        if dialect is None and source.engine is not None:
            dialect = source.engine.dialect
    declared = [*registry.counters.values(), *registry.aggregates.values()]
    return [_info(c, dialect) for c in sorted(declared, key=lambda c: c.name)]


def _sql(expression: Any, dialect: Dialect | None) -> str:
    if expression is None:
        return "(every row)"
    try:
        return str(expression.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    except Exception:
        return str(expression.compile(dialect=dialect))


def _index(c: Counter, table: str) -> str:
    columns = _index_columns(c)
    if not columns:
        return "none needed" if c.where is None else "(filter reads other tables: index its joins)"
    return f"CREATE INDEX ix_{table}_{'_'.join(columns)} ON {table} ({', '.join(columns)})"


def _index_columns(c: Counter) -> tuple[str, ...]:
    """The owner column first (the recount groups by it), then the columns the filter reads."""
    columns: list[str] = []
    if isinstance(c.owner, Column):
        columns.append(c.owner.name)
    mapper = inspect(c.model)
    for key in sorted(c.watched or ()):
        column = mapper.columns.get(key)
        if column is not None and column.name not in columns:
            columns.append(column.name)
    return tuple(columns)


def _declared_index(table: Any, columns: tuple[str, ...]) -> str | None:
    """The name of an index of `table` that starts with `columns`, if the model declares one."""
    for index in getattr(table, "indexes", ()):
        names = tuple(column.name for column in index.columns)
        if columns and names[: len(columns)] == columns:
            return str(index.name)
    return None


def _info(c: Counter, dialect: Dialect | None) -> CounterInfo:
    table = inspect(c.model).persist_selectable
    table_name = getattr(table, "name", str(table))
    columns = _index_columns(c)
    indexed_by = _declared_index(table, columns)
    owner = None
    if isinstance(c.owner, Column):
        owner = f"{table_name}.{c.owner.name}"
    return CounterInfo(
        name=c.name,
        model=c.model.__name__,
        table=table_name,
        audience=c.audience,
        owner=owner,
        triggers=tuple(sorted(c.on)),
        invalidates=c.invalidates,
        where=_sql(c.where, dialect),
        watched=None if c.watched is None else tuple(sorted(c.watched)),
        index=f"exists ({indexed_by})" if indexed_by else _index(c, table_name),
        index_columns=columns,
        indexed_by=indexed_by,
        declared=c.declared,
        kind=c.kind if isinstance(c, Aggregate) else "count",
        measure=", ".join(_sql(column, dialect) for column in c.measure()),
    )
