"""The world of a live test: a real Dispatch on SQLite (unique tables per test) wired to a
started LiveUI (`tests/live/conftest.py` builds it as the `world` fixture)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from liveui import Dispatch, counter, notification_model
from liveui.testing import LiveHarness

__all__ = ["World", "make_models"]


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
    """Base, User, Order and Notification on fresh table names.

    Smaller than tests/support/dispatch_schema.py's `make_schema` on purpose: the live tests
    count the patches one commit causes, so Order has the owner's `pending_orders` counter only
    (no admin counter, no `invalidates` keys, no Ticket) and nothing else is broadcast."""
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
