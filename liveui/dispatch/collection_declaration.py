"""Collection declarations: `collection(...)` next to the model, resolved into `Collection`.

    class Order(Base):
        ...
        __collections__ = [
            collection("my_orders", owner=lambda: Order.user_id,
                       order_by=lambda: [Order.id.desc()]),
            collection("pending_orders_all", where=lambda: Order.status == "pending",
                       audience="admin", order_by=lambda: [Order.id],
                       row=lambda order: {"id": order.id, "username": order.user.username}),
        ]

The vocabulary is the counters': `where` picks the rows, `owner` names the column holding the
user a row belongs to (a user sees only their own rows), `audience` names who may look at all.
`order_by` lists columns of the model (`.desc()` for descending); the primary key is appended
as the tie-breaker, so every row has one place. `row` turns a loaded instance into the dict its
template shows (default: every mapped column); it runs inside the loading session, so it may
follow relationships.

What a person may change of it (view params, see docs/view-params.md) is declared here too:

    collection("my_orders", owner=lambda: Order.user_id, order_by=lambda: [Order.id.desc()],
               filters={"status": lambda: Order.status},
               search=lambda: [Order.item],
               sorts={"amount": lambda: Order.amount_cents, "inserted": lambda: Order.inserted_at})

`filters` are equality filters by name; `search` lists expressions a search text is a
case-insensitive substring of (any of them; a correlated scalar subquery reaches another
table); `sorts` names columns of the model a view may order by, ascending or descending (the
primary key breaks ties, in the same direction). A `View` only ever narrows the declared rows:
`where`, `owner` and `audience` always apply.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Integer,
    Select,
    SmallInteger,
    and_,
    false,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy.orm import Mapper
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression

from ..errors import ConfigurationError
from ..row_events import DEFAULT_VIEW, CollectionInfo, Descending, RowState, View
from .lazy_columns import Lazy, attribute_key, resolve_lazy
from .one_of import one_of_param

__all__ = ["Collection", "CollectionSpec", "OrderColumn", "bind_collection", "collection"]

RowFn = Callable[[Any], dict[str, Any]]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_VIEW_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VIEWS_KEPT = 256
"""Bound collections per view kept ready (views are few; the bound keeps forged ones cheap)."""
_INTEGER = re.compile(r"^-?[0-9]{1,19}$")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def _equals(column: Any, value: str) -> ColumnElement[bool]:
    """`column = value` for a filter's value from a URL (text), as the column's type: a number
    or a boolean the column cannot hold matches no row (PostgreSQL would refuse the query)."""
    kind = column.type
    if isinstance(kind, Boolean):
        flag = _BOOLEANS.get(value.strip().lower())
        return false() if flag is None else column.is_(flag)
    if isinstance(kind, Integer):
        bits = 16 if isinstance(kind, SmallInteger) else 64 if isinstance(kind, BigInteger) else 32
        text = value.strip()
        if not _INTEGER.match(text):
            return false()
        number = int(text)
        if not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
            return false()
        return column == number  # type: ignore[no-any-return]
    return column == value  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class CollectionSpec:
    name: str
    where: Lazy
    owner: Lazy
    audience: str
    order_by: Lazy
    row: RowFn | None
    filters: Mapping[str, Lazy] = field(default_factory=dict)
    search: Lazy = None
    sorts: Mapping[str, Lazy] = field(default_factory=dict)


def collection(
    name: str,
    *,
    where: Lazy = None,
    owner: Lazy = None,
    audience: str = "user",
    order_by: Lazy = None,
    row: RowFn | None = None,
    filters: Mapping[str, Lazy] | None = None,
    search: Lazy = None,
    sorts: Mapping[str, Lazy] | None = None,
) -> CollectionSpec:
    """Declare a live collection of the rows of the model it is declared on (see the module
    docstring); show it with a `LiveCollection` component of the same name."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigurationError(f"collection name {name!r} must be a non-empty identifier")
    if not isinstance(audience, str) or not audience:
        raise ConfigurationError(f"collection {name!r}: `audience` must be a name")
    if row is not None and not callable(row):
        raise ConfigurationError(f"collection {name!r}: `row` must be a callable")
    for kind, names in (("filters", filters), ("sorts", sorts)):
        for key in names or {}:
            if not isinstance(key, str) or not _VIEW_NAME.match(key):
                raise ConfigurationError(f"collection {name!r}: {kind} name {key!r} must be "
                                         "an identifier")
    return CollectionSpec(name, where, owner, audience, order_by, row, dict(filters or {}),
                          search, dict(sorts or {}))


@dataclass(frozen=True, slots=True)
class OrderColumn:
    column: ColumnElement[Any]
    key: str
    """The mapped attribute holding the value (read from loaded instances)."""
    descending: bool


@dataclass(frozen=True, slots=True)
class Collection:
    """A collection bound to its model, with its expressions resolved."""

    name: str
    model: type[Any]
    where: ColumnElement[bool] | None
    owner: ColumnElement[Any] | None
    owner_key: str | None
    audience: str
    order: tuple[OrderColumn, ...]
    primary_key: ColumnElement[Any]
    primary_key_attr: str
    row: RowFn | None
    column_keys: tuple[str, ...]
    filters: Mapping[str, ColumnElement[Any]] = field(default_factory=dict)
    search: tuple[ColumnElement[Any], ...] = ()
    sorts: Mapping[str, OrderColumn] = field(default_factory=dict)
    _views: OrderedDict[View, Collection] = field(
        default_factory=OrderedDict, compare=False, repr=False
    )
    _by_key: dict[str | None, Select[Any]] = field(default_factory=dict, compare=False, repr=False)
    """`rows_by_key` per dialect: built once, kept as long as this (view of the) collection."""

    @property
    def info(self) -> CollectionInfo:
        return CollectionInfo(self.name, self.audience, self.owner is not None,
                              tuple(self.filters), tuple(self.sorts), bool(self.search))

    def for_view(self, view: View) -> Collection:
        """This collection narrowed and ordered as `view` asks: its `where` gains the view's
        filters and search, its order the view's sort. ValueError names what the declaration
        does not allow (a name it does not declare)."""
        if view == DEFAULT_VIEW:
            return self
        found = self._views.get(view)
        if found is not None:
            self._views.move_to_end(view)
            return found
        clauses: list[ColumnElement[bool]] = [] if self.where is None else [self.where]
        for key, value in view.filters:
            column = self.filters.get(key)
            if column is None:
                raise ValueError(f"collection {self.name!r} declares no filter {key!r}")
            clauses.append(_equals(column, value))
        if view.search:
            if not self.search:
                raise ValueError(f"collection {self.name!r} declares no search")
            text = view.search.lower()
            clauses.append(or_(*(func.lower(e).contains(text, autoescape=True)
                                 for e in self.search)))
        order = self.order
        if view.sort:
            descending = view.sort.startswith("-")
            chosen = self.sorts.get(view.sort.lstrip("-"))
            if chosen is None:
                raise ValueError(f"collection {self.name!r} declares no sort {view.sort!r}")
            tie = OrderColumn(self.primary_key, self.primary_key_attr, descending)
            first = OrderColumn(chosen.column, chosen.key, descending)
            order = (first,) if chosen.key == self.primary_key_attr else (first, tie)
        where = and_(*clauses) if clauses else None
        bound = replace(self, where=where, order=order, _views=OrderedDict(), _by_key={})
        self._views[view] = bound
        while len(self._views) > _VIEWS_KEPT:
            self._views.popitem(last=False)
        return bound

    def key_of(self, instance: Any) -> Any:
        return getattr(instance, self.primary_key_attr)

    def state(self, instance: Any, version: int = 0) -> RowState:
        """A loaded instance, read at `version`, as the row every session compares and
        renders."""
        raw = tuple(getattr(instance, o.key) for o in self.order)
        sort = tuple(Descending(v) if o.descending else v
                     for o, v in zip(self.order, raw, strict=True))
        if self.row is not None:
            values = dict(self.row(instance))
        else:
            values = {key: getattr(instance, key) for key in self.column_keys}
        owner = getattr(instance, self.owner_key) if self.owner_key is not None else None
        return RowState(self.key_of(instance), owner, sort, raw, values, version)

    def select_rows(self) -> Select[Any]:
        """Its rows, filtered by `where`. Without a `row` function a row is its columns: they are
        selected in `column_keys` order (for `columns_state`), not loaded as instances (no
        identity map, no eager loads of relationships the row never shows)."""
        query: Select[Any] = (
            select(self.model) if self.row is not None
            else select(*(getattr(self.model, key) for key in self.column_keys))
        )
        return query if self.where is None else query.where(self.where)

    def rows_by_key(self, dialect: str | None) -> Select[Any]:
        """`select_rows` of the keys bound at execution as `keys`: built once, so SQLAlchemy
        finds its compiled form without walking a new statement on every re-read."""
        query = self._by_key.get(dialect)
        if query is None:
            query = self._by_key[dialect] = self.select_rows().where(
                one_of_param(dialect, self.primary_key, "keys")
            )
        return query

    def columns_state(self, columns: dict[str, Any], version: int = 0) -> RowState:
        """`state` of a row read as its columns, `{attribute key: value}` in `column_keys`
        order (a collection without a `row` function): the same row, without an instance.
        The dict becomes the row's values."""
        raw = tuple(columns[o.key] for o in self.order)
        sort = tuple(Descending(v) if o.descending else v
                     for o, v in zip(self.order, raw, strict=True))
        owner = columns[self.owner_key] if self.owner_key is not None else None
        return RowState(columns[self.primary_key_attr], owner, sort, raw, columns, version)

    def after(self, cursor: Sequence[Any]) -> ColumnElement[bool]:
        """Rows strictly after `cursor` (a row's raw order values) in the collection's order:
        keyset pagination, so a page never repeats or skips a row when rows come and go."""
        if len(cursor) != len(self.order):
            raise ValueError("a cursor must carry one value per order column")
        clauses: list[ColumnElement[bool]] = []
        for i, o in enumerate(self.order):
            equal = [p.column == cursor[j] for j, p in enumerate(self.order[:i])]
            beyond = o.column < cursor[i] if o.descending else o.column > cursor[i]
            clauses.append(and_(*equal, beyond))
        return or_(*clauses)

    def order_clauses(self) -> list[ColumnElement[Any]]:
        return [o.column.desc() if o.descending else o.column.asc() for o in self.order]


def _clause(value: Any) -> Any:
    return value.__clause_element__() if hasattr(value, "__clause_element__") else value


def bind_collection(spec: CollectionSpec, model: type[Any]) -> Collection:
    """Resolve a declaration against its (configured) model; errors name the collection."""
    name = spec.name
    try:
        mapper: Mapper[Any] = inspect(model)
    except Exception as exc:
        raise ConfigurationError(f"collection {name!r}: {model!r} is not a mapped class") from exc
    try:
        where = _clause(resolve_lazy(spec.where))
        owner = _clause(resolve_lazy(spec.owner))
        order_by = resolve_lazy(spec.order_by)
    except Exception as exc:
        raise ConfigurationError(f"collection {name!r}: its where/owner/order_by failed: {exc}") \
            from exc
    if where is not None and not isinstance(where, ColumnElement):
        raise ConfigurationError(f"collection {name!r}: `where` must be a SQL expression")
    owner_key = attribute_key(mapper, owner) if owner is not None else None
    if owner is not None and owner_key is None:
        raise ConfigurationError(f"collection {name!r}: owner must be a column of "
                                 f"{model.__name__}")
    keys = mapper.primary_key
    if len(keys) != 1:
        raise ConfigurationError(f"collection {name!r}: {model.__name__} needs a single-column "
                                 "primary key")
    primary_key: ColumnElement[Any] = keys[0]
    primary_key_attr = attribute_key(mapper, primary_key)
    assert primary_key_attr is not None
    order: list[OrderColumn] = []
    items = [] if order_by is None else (
        list(order_by) if isinstance(order_by, (list, tuple)) else [order_by]
    )
    for item in items:
        item = _clause(item)
        descending = False
        if isinstance(item, UnaryExpression) and item.modifier in (operators.desc_op,
                                                                   operators.asc_op):
            descending = item.modifier is operators.desc_op
            item = item.element
        key = attribute_key(mapper, item)
        if key is None:
            raise ConfigurationError(f"collection {name!r}: order_by must list columns of "
                                     f"{model.__name__} (got {item!r})")
        order.append(OrderColumn(item, key, descending))
    if not any(o.key == primary_key_attr for o in order):
        order.append(OrderColumn(primary_key, primary_key_attr, False))
    column_keys = tuple(attr.key for attr in mapper.column_attrs)
    try:
        filters = {key: _clause(resolve_lazy(v)) for key, v in spec.filters.items()}
        search = resolve_lazy(spec.search)
        sort_columns = {key: _clause(resolve_lazy(v)) for key, v in spec.sorts.items()}
    except Exception as exc:
        raise ConfigurationError(f"collection {name!r}: its filters/search/sorts failed: {exc}") \
            from exc
    for key, column in filters.items():
        if not isinstance(column, ColumnElement):
            raise ConfigurationError(f"collection {name!r}: filter {key!r} must be a SQL "
                                     "expression")
    search_items = [] if search is None else (
        list(search) if isinstance(search, (list, tuple)) else [search]
    )
    search_exprs = tuple(_clause(item) for item in search_items)
    if not all(isinstance(e, ColumnElement) for e in search_exprs):
        raise ConfigurationError(f"collection {name!r}: `search` must list SQL expressions")
    sorts: dict[str, OrderColumn] = {}
    for key, column in sort_columns.items():
        sort_key = attribute_key(mapper, column)
        if sort_key is None:
            raise ConfigurationError(f"collection {name!r}: sort {key!r} must be a column of "
                                     f"{model.__name__}")
        sorts[key] = OrderColumn(column, sort_key, False)
    return Collection(
        name=name,
        model=model,
        where=where,
        owner=owner,
        owner_key=owner_key,
        audience=spec.audience,
        order=tuple(order),
        primary_key=primary_key,
        primary_key_attr=primary_key_attr,
        row=spec.row,
        column_keys=column_keys,
        filters=filters,
        search=search_exprs,
        sorts=sorts,
    )
