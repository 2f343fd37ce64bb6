"""What counter and collection declarations share when they are bound to their model.

A declaration is written inside the class body, before the columns exist, so its expressions
may be zero-argument lambdas; binding calls them once and maps the columns back to attributes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Mapper
from sqlalchemy.orm.exc import UnmappedColumnError
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.schema import Column

__all__ = ["Lazy", "attribute_key", "resolve_lazy"]

Lazy = Any
"""A SQLAlchemy expression, or a zero-argument callable returning one."""


def resolve_lazy(value: Lazy) -> Any:
    return value() if callable(value) and not isinstance(value, ColumnElement) else value


def attribute_key(mapper: Mapper[Any], column: Any) -> str | None:
    """The mapped attribute holding `column`, or None for anything else (an expression,
    another table's column)."""
    if not isinstance(column, Column):
        return None
    try:
        return mapper.get_property_by_column(column).key
    except UnmappedColumnError:
        return None
