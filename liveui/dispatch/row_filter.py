"""`RowFilter`: a counter's `where`, answered in Python for a row the flush just inserted, where
Python gives the database's answer — so a new row a counter cannot count does not recount it
(a new *pending* order moves no sum of *completed* ones). The session hooks ask it about
inserts only: an update or a delete finds the row as the database has it, which may not be
what its session loaded.

Only what compares exactly alike in Python and in SQL is answered; everything else is "cannot
tell", and the counter is recounted as before:

- a column of the counter's model, compared with constants: `==`, `!=`, `IN`, `NOT IN`,
  `IS [NOT] NULL|TRUE|FALSE`, and `<`, `<=`, `>`, `>=` for integers only (a string's order
  is its collation's, not Python's), combined with `AND`, `OR`, `NOT`, or a bare boolean
  column;
- columns of plain types only (`Integer`, `String`, `Text`, `Boolean`, their standard
  spellings), without a collation, and strings only on SQLite and PostgreSQL (whose default
  comparisons are exact; MySQL's and SQL Server's ignore case);
- values of exactly the column's Python type (not a SQL expression assigned to the attribute,
  not an enum member, not "5" for an integer column); a value the flush did not leave in the
  row (a server default, an expired attribute) cannot be told.

SQL's three values are kept: a comparison with NULL is NULL, which no `WHERE` counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import types
from sqlalchemy.orm import Mapper
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import (
    BinaryExpression,
    BindParameter,
    BooleanClauseList,
    ColumnElement,
    False_,
    Grouping,
    Null,
    True_,
    UnaryExpression,
)
from sqlalchemy.sql.schema import Column

from .lazy_columns import attribute_key

__all__ = ["UNKNOWN", "RowFilter", "row_filter"]


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
"""A value or an answer Python cannot tell (also: a key absent from the values given)."""

Values = Mapping[str, Any]
Test = Callable[[Values], Any]
"""True, False, None (SQL NULL) or UNKNOWN, for a row's values by attribute key."""

_TYPES: dict[type, type] = {
    **dict.fromkeys((types.Integer, types.BigInteger, types.SmallInteger, types.INTEGER,
                     types.INT, types.BIGINT, types.SMALLINT), int),
    **dict.fromkeys((types.Boolean, types.BOOLEAN), bool),
    # not CHAR (blank-padded comparisons), Enum, a dialect's own (CITEXT), a TypeDecorator
    **dict.fromkeys((types.String, types.Text, types.Unicode, types.UnicodeText,
                     types.VARCHAR, types.NVARCHAR, types.TEXT), str),
}
"""The column types whose values compare alike in Python and SQL, exactly these classes."""
_EXACT_STRINGS = frozenset({"sqlite", "postgresql"})
_ORDER = {operators.lt: int.__lt__, operators.le: int.__le__, operators.gt: int.__gt__,
          operators.ge: int.__ge__}


class _Unsupported(Exception):
    pass


class RowFilter:
    def __init__(self, test: Test, keys: frozenset[str]) -> None:
        self._test = test
        self.keys = keys
        """The attribute keys it reads."""

    def answer(self, values: Values) -> Any:
        """True, False, None (NULL) or UNKNOWN for a row with these values."""
        return self._test(values)

    def excludes(self, values: Values) -> bool:
        """Whether the database's `WHERE` would certainly not count this row."""
        return self._test(values) in (False, None)


def row_filter(mapper: Mapper[Any], where: ColumnElement[bool] | None,
               dialect: str | None) -> RowFilter | None:
    """`where` as a `RowFilter`, or None when Python cannot answer it exactly."""
    if where is None:
        return None
    if hasattr(where, "__clause_element__") and not isinstance(where, ColumnElement):
        where = where.__clause_element__()  # an ORM attribute: its column
    keys: set[str] = set()
    try:
        test = _compile(where, mapper, dialect in _EXACT_STRINGS, keys)
    except Exception:  # _Unsupported, or an expression this walk does not know
        return None
    return RowFilter(test, frozenset(keys))


def _compile(element: Any, mapper: Mapper[Any], strings: bool, keys: set[str]) -> Test:
    if isinstance(element, Grouping):
        return _compile(element.element, mapper, strings, keys)
    if isinstance(element, BooleanClauseList):
        parts = [_compile(c, mapper, strings, keys) for c in element.clauses]
        if element.operator is operators.and_:
            return lambda values: _join([p(values) for p in parts], False)
        if element.operator is operators.or_:
            return lambda values: _join([p(values) for p in parts], True)
        raise _Unsupported
    if isinstance(element, UnaryExpression) and element.operator is operators.inv:
        inner = _compile(element.element, mapper, strings, keys)
        return lambda values: _not(inner(values))
    if isinstance(element, BinaryExpression):
        return _comparison(element, mapper, strings, keys)
    if isinstance(element, Column):  # a bare boolean column
        key, python_type = _column(element, mapper, strings, keys)
        if python_type is not bool:
            raise _Unsupported
        return lambda values: _value(values, key, bool)
    raise _Unsupported


def _column(element: Any, mapper: Mapper[Any], strings: bool,
            keys: set[str]) -> tuple[str, type]:
    if not isinstance(element, Column) or element.table not in set(mapper.tables):
        raise _Unsupported
    key = attribute_key(mapper, element)
    python_type = _TYPES.get(type(element.type))
    if key is None or python_type is None or getattr(element.type, "collation", None):
        raise _Unsupported
    if python_type is str and not strings:
        raise _Unsupported
    keys.add(key)
    return key, python_type


def _constant(element: Any, python_type: type) -> Any:
    if isinstance(element, Null):
        return None
    if isinstance(element, (True_, False_)):
        if python_type is not bool:
            raise _Unsupported
        return isinstance(element, True_)
    if isinstance(element, BindParameter) and element.callable is None:
        value = element.value
        if element.expanding:
            if not isinstance(value, (list, tuple)) or not value or not all(
                type(v) is python_type for v in value
            ):
                raise _Unsupported  # an empty list: how NULL compares with it varies
            return frozenset(value)
        if type(value) is python_type:
            return value
    raise _Unsupported


def _comparison(element: BinaryExpression[Any], mapper: Mapper[Any], strings: bool,
                keys: set[str]) -> Test:
    key, python_type = _column(element.left, mapper, strings, keys)
    op = element.operator
    constant = _constant(element.right, python_type)
    if op in (operators.is_, operators.is_not):
        if constant is not None and python_type is not bool:
            raise _Unsupported
        positive = op is operators.is_

        def is_test(values: Values) -> Any:
            value = _value(values, key, python_type)
            if value is UNKNOWN:
                return UNKNOWN
            return (value is constant) if positive else (value is not constant)

        return is_test
    if constant is None:
        raise _Unsupported  # `= NULL`: a NULL for every row; not worth answering
    if op in (operators.in_op, operators.not_in_op):
        if not isinstance(constant, frozenset):
            raise _Unsupported
        inside = op is operators.in_op
        return lambda values: _compare(values, key, python_type,
                                       lambda v: (v in constant) is inside)
    if isinstance(constant, frozenset):
        raise _Unsupported
    if op is operators.eq:
        return lambda values: _compare(values, key, python_type, lambda v: v == constant)
    if op is operators.ne:
        return lambda values: _compare(values, key, python_type, lambda v: v != constant)
    order = _ORDER.get(op)
    if order is not None and python_type is int:
        return lambda values: _compare(values, key, python_type, lambda v: order(v, constant))
    raise _Unsupported


def _value(values: Values, key: str, python_type: type) -> Any:
    """The row's value: None (NULL), UNKNOWN, or one of exactly `python_type`."""
    value = values.get(key, UNKNOWN)
    if value is None or value is UNKNOWN or type(value) is python_type:
        return value
    return UNKNOWN


def _compare(values: Values, key: str, python_type: type, test: Callable[[Any], bool]) -> Any:
    value = _value(values, key, python_type)
    if value is None or value is UNKNOWN:
        return value  # NULL compared is NULL
    return test(value)


def _join(answers: list[Any], decisive: bool) -> Any:
    """`AND` (decisive: False) or `OR` (decisive: True) in SQL's three values, UNKNOWN
    wherever an unknown part could change the answer."""
    if decisive in answers:
        return decisive
    if any(a is UNKNOWN for a in answers):
        return UNKNOWN
    return None if None in answers else not decisive


def _not(answer: Any) -> Any:
    if answer is UNKNOWN or answer is None:
        return answer
    return not answer
