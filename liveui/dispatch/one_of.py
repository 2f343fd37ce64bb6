"""`one_of(conn, column, values)`: `column IN (values)` written for the batched loads;
`one_of_param(dialect, column, name)` the same test with the values bound at execution
(`{name: values}`), for a statement built once and run many times.

SQLAlchemy renders an `IN` list as one bound parameter per value at every execution (with a
type cast each on asyncpg), and every batch size is a new statement for the driver to prepare.
On PostgreSQL the same test is `column = ANY(:array)`: one parameter whatever the count, one
statement text for every batch. Other databases get the `IN` list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

__all__ = ["one_of", "one_of_param"]


def one_of(conn: Connection, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    return one_of_param(conn.dialect.name, column, None, list(values))


def one_of_param(
    dialect: str | None, column: Any, name: str | None, values: list[Any] | None = None
) -> ColumnElement[bool]:
    if dialect == "postgresql":
        array = bindparam(name, values, type_=ARRAY(column.type))
        return column == any_(array)  # type: ignore[no-any-return]
    return column.in_(bindparam(name, values, expanding=True))  # type: ignore[no-any-return]
