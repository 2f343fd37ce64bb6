"""Counter declarations: `counter(...)` next to the model, resolved into `Counter` on first use.

    class Order(Base):
        ...
        __counters__ = [
            counter("pending_orders", where=lambda: Order.status == "pending",
                    owner=lambda: Order.user_id, invalidates=["orders"]),
            counter("admin_pending_orders", where=lambda: Order.status == "pending",
                    audience="admin"),
        ]

`where` and `owner` may be lambdas because the columns do not exist yet inside the class body;
they are called once, when the registry first needs the counter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, inspect
from sqlalchemy.orm import Mapper
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.schema import Column

from ..errors import ConfigurationError
from .lazy_columns import Lazy, attribute_key, resolve_lazy

__all__ = ["ROW_EVENTS", "Counter", "CounterSpec", "CounterValue", "counter"]

ROW_EVENTS = ("insert", "update", "delete")
"""The changes the session hooks see; any other trigger name is an application action."""
TRIGGER_ALIASES = {
    "create": "insert", "destroy": "delete",
    "created": "insert", "inserted": "insert", "updated": "update", "deleted": "delete",
    "destroyed": "delete",
}
"""AshDispatch's action names for the row events, and their past tenses."""


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]*$")


@dataclass(frozen=True, slots=True)
class CounterValue:
    """A counter's value and the version that orders it: clients drop lower versions."""

    value: int
    version: int


@dataclass(frozen=True, slots=True)
class CounterSpec:
    """What `counter(...)` returns: a declaration, not yet bound to its model."""

    name: str
    """The name on the wire (`counter_updated.counter`, the keys of `counters`)."""
    where: Lazy
    owner: Lazy
    audience: str
    on: tuple[str, ...]
    invalidates: tuple[str, ...]
    declared: str = ""
    """The name it was declared with, when `counter_name` gave another for the wire."""


def counter(
    name: str,
    *,
    where: Lazy = None,
    owner: Lazy = None,
    audience: str = "user",
    on: Iterable[str] = ROW_EVENTS,
    invalidates: Iterable[str] = (),
    counter_name: str | None = None,
) -> CounterSpec:
    """Declare a counter of the rows of the model it is declared on.

    - `where`: the rows that count (None counts every row).
    - `owner`: the column naming the user a row belongs to (`Order.user_id`); each owner gets
      their own value on `user:<owner>`. Without an owner the counter is global and its one value
      goes to every member of `audience`.
    - `audience`: "user" (everyone) or a name from `DispatchSettings.audiences`; with an owner it
      only decides who loads the counter.
    - `on`: "insert", "update", "delete" (or AshDispatch's "create" and "destroy") and/or
      names of application actions (see `Dispatch.action`). Past tenses ("created",
      "updated", "deleted") mean the row events; a name one typo away from a row event
      ("insrt", "destory") is refused, since it would never fire on the rows; any other name
      ("delete_all", "upsert", "complete") is an application action.
    - `invalidates`: query keys sent as `metadata.invalidateQueries` so SPA clients refetch.
    - `counter_name`: AshDispatch's option, the name clients see when it differs from `name`
      (`dispatch.touch` and `describe_counters` accept either).
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigurationError(f"counter name {name!r} must be a non-empty identifier")
    if counter_name is not None and (
        not isinstance(counter_name, str) or not _NAME.match(counter_name)
    ):
        raise ConfigurationError(
            f"counter {name!r}: counter_name {counter_name!r} must be a non-empty identifier"
        )
    given = tuple(on) if not isinstance(on, str) else (on,)
    if not given or not all(isinstance(t, str) and t for t in given):
        raise ConfigurationError(f"counter {name!r}: `on` must name at least one trigger")
    triggers = tuple(dict.fromkeys(TRIGGER_ALIASES.get(t, t) for t in given))
    for trigger in triggers:
        near = _typo_of(trigger)
        if near is not None:
            raise ConfigurationError(
                f"counter {name!r}: on={trigger!r} is no row event (did you mean {near!r}?); "
                "an application action needs a name of its own"
            )
    keys = tuple(invalidates) if not isinstance(invalidates, str) else (invalidates,)
    if not all(isinstance(k, str) for k in keys):
        raise ConfigurationError(f"counter {name!r}: `invalidates` must be strings")
    if not isinstance(audience, str) or not audience:
        raise ConfigurationError(f"counter {name!r}: `audience` must be a name")
    wire = counter_name if counter_name is not None else name
    return CounterSpec(wire, where, owner, audience, triggers, keys, name if wire != name else "")


def _typo_of(trigger: str) -> str | None:
    """The row event (or alias) `trigger` is one typo away from — one letter added, dropped,
    changed, or two neighbours swapped — or None (a row event itself, or an action's name)."""
    if trigger in ROW_EVENTS:
        return None
    for known in (*ROW_EVENTS, *TRIGGER_ALIASES):
        if known != trigger and _one_edit(trigger, known):
            return known
    return None


def _one_edit(a: str, b: str) -> bool:
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    if abs(len(a) - len(b)) != 1:
        return False
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(short == long[:i] + long[i + 1:] for i in range(len(long)))


@dataclass(frozen=True, slots=True)
class Counter:
    """A counter bound to its model, with its expressions resolved."""

    name: str
    """The name on the wire."""
    model: type[Any]
    where: ColumnElement[bool] | None
    owner: ColumnElement[Any] | None
    audience: str
    on: frozenset[str]
    invalidates: tuple[str, ...]
    watched: frozenset[str] | None
    """Attribute keys whose change can move the count; None: any update might."""
    owner_key: str | None
    """The mapped attribute holding the owner, read from changed rows during flush."""
    declared: str = ""
    """The declaration's own name when `counter_name` renamed it on the wire."""

    @property
    def is_global(self) -> bool:
        return self.owner is None

    @property
    def metadata(self) -> dict[str, Any]:
        return {"invalidateQueries": list(self.invalidates)}

    # What the grouped recount asks of a declaration (aggregates override these three, so the
    # same loader recounts counters and aggregates alike).
    def measure(self) -> tuple[ColumnElement[Any], ...]:
        """The SQL aggregate columns one read selects (per owner when grouped)."""
        return (func.count(),)

    @property
    def width(self) -> int:
        """How many columns `measure` selects (without building them)."""
        return 1

    def read(self, row: Any) -> Any:
        """The value from the columns `measure` selected, in order."""
        return int(row[0])

    @property
    def empty(self) -> Any:
        """The value of an owner with no matching row (the grouped query returns none)."""
        return 0


def bind(spec: CounterSpec, model: type[Any], *, what: str = "counter") -> Counter:
    """Resolve a declaration against its (configured) model; errors name the counter (or
    `what` it is: "aggregate")."""
    try:
        mapper: Mapper[Any] = inspect(model)
    except Exception as exc:
        raise ConfigurationError(f"{what} {spec.name!r}: {model!r} is not a mapped class") from exc
    try:
        where = resolve_lazy(spec.where)
        owner = resolve_lazy(spec.owner)
    except Exception as exc:
        raise ConfigurationError(f"{what} {spec.name!r}: its where/owner failed: {exc}") from exc
    if owner is not None and hasattr(owner, "__clause_element__"):
        owner = owner.__clause_element__()
    if where is not None and hasattr(where, "__clause_element__"):
        where = where.__clause_element__()
    if where is not None and not isinstance(where, ColumnElement):
        raise ConfigurationError(f"{what} {spec.name!r}: `where` must be a SQL expression")
    if owner is not None and not isinstance(owner, ColumnElement):
        raise ConfigurationError(f"{what} {spec.name!r}: `owner` must be a column")
    owner_key = attribute_key(mapper, owner) if owner is not None else None
    if owner is not None and owner_key is None:
        raise ConfigurationError(
            f"{what} {spec.name!r}: owner must be a column of {model.__name__}"
        )
    watched = _watched(mapper, where)
    if watched is not None and owner_key is not None:
        watched = watched | {owner_key}
    return Counter(
        name=spec.name,
        model=model,
        where=where,
        owner=owner,
        audience=spec.audience,
        on=frozenset(spec.on),
        invalidates=spec.invalidates,
        watched=watched,
        owner_key=owner_key,
        declared=spec.declared,
    )


def _watched(mapper: Mapper[Any], where: ColumnElement[bool] | None) -> frozenset[str] | None:
    """Attributes of the model the filter reads, or None when it reads anything else."""
    if where is None:
        return frozenset()
    keys: set[str] = set()
    tables = set(mapper.tables)
    for element in visitors.iterate(where):
        if isinstance(element, Column):
            if element.table not in tables:
                return None
            key = attribute_key(mapper, element)
            if key is None:
                return None
            keys.add(key)
        elif getattr(element, "is_selectable", False) and not isinstance(element, Column):
            return None  # a subquery: its inputs live elsewhere
    return frozenset(keys)

