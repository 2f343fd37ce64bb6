"""`RowFilter`: a counter's `where` answered in Python for a flushed row, only where Python gives
the database's answer; and the session hooks leaving a counter alone when a new row is
certainly not counted by it (updates and deletes are always recounted). The commits run on
SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import (
    CHAR,
    Enum,
    String,
    TypeDecorator,
    and_,
    event,
    func,
    inspect,
    not_,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from liveui import Dispatch
from liveui.dispatch.row_filter import UNKNOWN, row_filter
from liveui.testing import BroadcastRecorder
from tests.support.dispatch_schema import Schema, add_users, both_databases


class _Lower(TypeDecorator[str]):
    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return None if value is None else str(value).lower()


class Base(DeclarativeBase):
    pass


class Row(Base):
    __tablename__ = "row_filter_rows"
    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    n: Mapped[int | None] = mapped_column()
    flag: Mapped[bool | None] = mapped_column()
    padded: Mapped[str] = mapped_column(CHAR(4))
    kind: Mapped[str] = mapped_column(Enum("a", "b", name="row_kind"))
    folded: Mapped[str] = mapped_column(String(20, collation="NOCASE"))
    lowered: Mapped[str] = mapped_column(_Lower(20))
    other: Mapped[int | None] = mapped_column()


def _answer(where: Any, values: dict[str, Any], dialect: str = "sqlite") -> Any:
    test = row_filter(inspect(Row), where, dialect)
    assert test is not None, f"{where} should be answered in Python"
    return test.answer(values)


def test_comparisons_with_constants_are_answered_like_sql() -> None:
    assert _answer(Row.status == "pending", {"status": "pending"}) is True
    assert _answer(Row.status == "pending", {"status": "Pending"}) is False
    assert _answer(Row.status != "pending", {"status": "done"}) is True
    assert _answer(Row.status.in_(["a", "b"]), {"status": "b"}) is True
    assert _answer(Row.status.not_in(["a", "b"]), {"status": "b"}) is False
    assert _answer(Row.n > 3, {"n": 4}) is True
    assert _answer(Row.n <= 3, {"n": 4}) is False
    assert _answer(Row.flag.is_(True), {"flag": None}) is False  # IS is never NULL
    assert _answer(Row.flag == True, {"flag": True}) is True  # noqa: E712
    assert _answer(Row.flag, {"flag": False}) is False
    assert _answer(Row.status.is_(None), {"status": None}) is True
    assert _answer(Row.status.is_not(None), {"status": "x"}) is True


def test_sql_null_and_what_cannot_be_told_keep_their_three_values() -> None:
    assert _answer(Row.n > 3, {"n": None}) is None  # NULL: counted by no WHERE
    assert _answer(not_(Row.n > 3), {"n": None}) is None
    assert _answer(Row.n > 3, {}) is UNKNOWN  # not loaded
    assert _answer(Row.n > 3, {"n": "4"}) is UNKNOWN  # not the column's type
    assert _answer(Row.n > 3, {"n": func.now()}) is UNKNOWN  # a SQL expression assigned
    assert _answer(and_(Row.status == "a", Row.n > 3), {"status": "b"}) is False
    assert _answer(and_(Row.status == "a", Row.n > 3), {"status": "a"}) is UNKNOWN
    assert _answer(or_(Row.status == "a", Row.n > 3), {"status": "a"}) is True
    assert _answer(or_(Row.status == "a", Row.n > 3), {"status": "b", "n": None}) is None
    test = row_filter(inspect(Row), Row.n > 3, "sqlite")
    assert test is not None and test.excludes({"n": None}) and not test.excludes({})


@pytest.mark.parametrize("where", [
    lambda: Row.status > "m",  # a string's order is its collation's
    lambda: Row.n > Row.other,  # two columns
    lambda: func.lower(Row.status) == "a",
    lambda: Row.padded == "ab",  # CHAR: blank-padded
    lambda: Row.kind == "a",  # an Enum
    lambda: Row.folded == "a",  # a collation
    lambda: Row.lowered == "a",  # a TypeDecorator may change what is stored
    lambda: Row.n == 3.0,  # a float for an integer
    lambda: Row.id.in_(select(Row.other)),  # a subquery
    lambda: Row.status.not_in([]),  # NULL NOT IN (): true in SQL, on some databases
])
def test_what_python_cannot_answer_exactly_is_left_to_the_database(where: Any) -> None:
    assert row_filter(inspect(Row), where(), "sqlite") is None


def test_strings_are_answered_only_where_the_databases_comparison_is_exact() -> None:
    assert row_filter(inspect(Row), Row.status == "a", "postgresql") is not None
    assert row_filter(inspect(Row), Row.status == "a", "mysql") is None  # ignores case
    assert row_filter(inspect(Row), Row.n == 1, "mysql") is not None


def _counted_selects(engine: AsyncEngine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "count(" in statement.lower():
            seen.append(statement)

    return seen


@both_databases
async def test_a_new_row_a_counter_cannot_count_does_not_recount_it(
    schema: Schema, engine: AsyncEngine, sessions: async_sessionmaker[Any], dispatch: Dispatch,
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    [alice] = await add_users(sessions, schema, 1, admins=1)
    await dispatch.wait_idle()
    recounts = _counted_selects(engine)
    async with sessions() as s:
        s.add(schema.Order(user_id=alice, status="shipped"))  # never pending
        await s.commit()
    await dispatch.wait_idle()
    assert recounts == []
    assert dispatch_broadcasts.counter_values(alice, "pending_orders") == []
    assert dispatch_broadcasts.counter_values(alice, "admin_pending_orders") == []
    async with sessions() as s:
        s.add(schema.Order(user_id=alice, status="pending"))
        await s.commit()
    await dispatch_broadcasts.assert_counter_broadcast(alice, "pending_orders", 1)
    await dispatch_broadcasts.assert_counter_broadcast(alice, "admin_pending_orders", 1)


@both_databases
async def test_an_update_is_recounted_even_when_the_row_it_loaded_was_never_counted(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch,
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    """What an update finds in the database may not be what its session loaded: here another
    transaction made the order pending in between, and this one cancels what it still holds
    as "shipped". Judged on the loaded row (shipped -> cancelled: never pending) the count
    would stay at 1; the database says 0."""
    [alice] = await add_users(sessions, schema, 1)
    async with sessions() as s:
        order = schema.Order(user_id=alice, status="shipped")
        s.add(order)
        await s.commit()
    async with sessions() as stale:
        held = await stale.get(schema.Order, order.id)
        assert held.status == "shipped"
        async with sessions() as other:
            (await other.get(schema.Order, order.id)).status = "pending"
            await other.commit()
        await dispatch_broadcasts.assert_counter_broadcast(alice, "pending_orders", 1)
        held.status = "cancelled"
        await stale.commit()
    await dispatch_broadcasts.assert_counter_broadcast(alice, "pending_orders", 0)


@both_databases
async def test_a_value_the_hooks_cannot_read_is_recounted(
    schema: Schema, sessions: async_sessionmaker[Any], dispatch: Dispatch,
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    [alice] = await add_users(sessions, schema, 1)
    async with sessions() as s:
        order = schema.Order(user_id=alice, status="shipped")
        s.add(order)
        await s.commit()
    await dispatch.wait_idle()
    async with sessions() as s:
        # A SQL expression the database evaluates: Python cannot tell it is not "pending".
        (await s.get(schema.Order, order.id)).status = func.lower("PENDING")
        await s.commit()
    await dispatch_broadcasts.assert_counter_broadcast(alice, "pending_orders", 1)
