"""Dispatch fixtures shared by the dispatch, channels and live suites: a fresh schema per test
(unique table names), on SQLite or PostgreSQL. Registered for the whole suite by
`tests/conftest.py`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import Boolean, ForeignKey, String, event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from liveui import Dispatch, DispatchSettings, async_url, counter, notification_model
from liveui.testing import BroadcastRecorder


@dataclass
class Schema:
    """The models of one test: User, Order (an owner counter and an admin counter), Ticket (a
    counter with an application action) and Notification."""

    Base: type[DeclarativeBase]
    User: Any
    Order: Any
    Ticket: Any
    Notification: Any
    prefix: str


def make_schema() -> Schema:
    prefix = "t" + uuid.uuid4().hex[:10]

    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = f"{prefix}_users"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), default="")
        is_admin: Mapped[bool] = mapped_column(Boolean, default=False)

    class Order(Base):
        __tablename__ = f"{prefix}_orders"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey(f"{prefix}_users.id"), index=True)
        status: Mapped[str] = mapped_column(String(20), default="pending")
        note: Mapped[str] = mapped_column(String(200), default="")
        __counters__ = [
            counter("pending_orders", where=lambda: Order.status == "pending",
                    owner=lambda: Order.user_id, invalidates=["orders"]),
            counter("admin_pending_orders", where=lambda: Order.status == "pending",
                    audience="admin", invalidates=["orders", "admin"]),
        ]

    class Ticket(Base):
        __tablename__ = f"{prefix}_tickets"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey(f"{prefix}_users.id"))
        done: Mapped[bool] = mapped_column(Boolean, default=False)
        __counters__ = [
            counter("open_tickets", where=lambda: Ticket.done == False,  # noqa: E712
                    owner=lambda: Ticket.user_id, on=["insert", "complete"]),
        ]

    notification = notification_model(
        Base, tablename=f"{prefix}_notifications", user_fk=f"{prefix}_users.id"
    )
    return Schema(Base, User, Order, Ticket, notification, prefix)


@pytest.fixture
def schema() -> Schema:
    return make_schema()


both_databases = pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
"""Run a test on SQLite and on PostgreSQL (the rest run on SQLite only, to stay quick)."""


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if getattr(request, "param", "sqlite") == "sqlite":
        return f"sqlite:///{tmp_path / 'dispatch.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest_asyncio.fixture
async def engine(database_url: str, schema: Schema) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(async_url(database_url))
    async with engine.begin() as conn:
        await conn.run_sync(schema.Base.metadata.create_all)
    try:
        yield engine
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(schema.Base.metadata.drop_all)
        await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


def settings_for(schema: Schema, **overrides: Any) -> DispatchSettings:
    options: dict[str, Any] = {
        "models": [schema.Order, schema.Ticket],
        "user_model": schema.User,
        "audiences": {"admin": lambda: schema.User.is_admin == True},  # noqa: E712
        "notification_model": schema.Notification,
        "coalesce_window": 0.005,
    }
    options.update(overrides)
    return DispatchSettings(**options)


@pytest_asyncio.fixture
async def dispatch(
    schema: Schema,
    engine: AsyncEngine,
    sessions: async_sessionmaker[Any],
    dispatch_broadcasts: BroadcastRecorder,
) -> AsyncIterator[Dispatch]:
    d = Dispatch(settings_for(schema), engine=engine, broadcast=dispatch_broadcasts)
    d.install(sessions)
    try:
        yield d
    finally:
        await d.stop()


async def add_users(sessions: async_sessionmaker[Any], schema: Schema, n: int,
                    admins: int = 0) -> list[int]:
    async with sessions() as s:
        users = [schema.User(name=f"u{i}", is_admin=i < admins) for i in range(n)]
        s.add_all(users)
        await s.commit()
        return [u.id for u in users]


def record_selects(engine: AsyncEngine) -> list[str]:
    """A list that every SELECT `engine` runs from now on is appended to."""
    seen: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    return seen
