"""Live fixtures: a real Dispatch on SQLite (unique tables per test) wired to a started LiveUI."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest_asyncio
from sqlalchemy import ForeignKey, String
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from liveui import Dispatch, DispatchSettings, Node, counter, notification_model
from liveui.testing import LiveHarness, live_harness


@dataclass
class World:
    User: Any
    Order: Any
    Notification: Any
    engine: AsyncEngine
    sessions: async_sessionmaker[Any]
    dispatch: Dispatch
    harness: LiveHarness

    async def add_user(self, name: str = "u") -> int:
        async with self.sessions() as s:
            user = self.User(name=name)
            s.add(user)
            await s.commit()
            return int(user.id)

    async def add_order(self, user_id: int, status: str = "pending") -> int:
        async with self.sessions() as s:
            order = self.Order(user_id=user_id, status=status)
            s.add(order)
            await s.commit()
            return int(order.id)

    async def notify(self, user_id: int, **fields: Any) -> str:
        fields.setdefault("title", "Hello")
        notification = await self.dispatch.notify(None, user_id, **fields)
        return str(notification.id)


def make_models() -> tuple[type[DeclarativeBase], Any, Any, Any]:
    prefix = "l" + uuid.uuid4().hex[:10]

    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = f"{prefix}_users"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), default="")

    class Order(Base):
        __tablename__ = f"{prefix}_orders"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey(f"{prefix}_users.id"), index=True)
        status: Mapped[str] = mapped_column(String(20), default="pending")
        __counters__ = [
            counter("pending_orders", where=lambda: Order.status == "pending",
                    owner=lambda: Order.user_id),
        ]

    notification = notification_model(
        Base, tablename=f"{prefix}_notifications", user_fk=f"{prefix}_users.id"
    )
    return Base, User, Order, notification


@pytest_asyncio.fixture
async def world(tmp_path: Any) -> AsyncIterator[World]:
    Base, User, Order, Notification = make_models()
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'live.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    node = Node()
    dispatch = Dispatch(
        DispatchSettings(models=[Order], user_model=User, notification_model=Notification,
                         coalesce_window=0.002),
        node=node,
        engine=engine,
    )
    dispatch.install(sessions)
    try:
        async with live_harness(dispatch=dispatch, node=node) as harness:
            yield World(User, Order, Notification, engine, sessions, dispatch, harness)
    finally:
        await engine.dispose()
