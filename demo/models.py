"""The demo's domain: users, chat messages, orders, cart items, tickets, reseller requests."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from sqlalchemy import ForeignKey, String, Text, inspect, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from liveui import aggregate, collection, counter, notification_model

__all__ = [
    "Activity",
    "Base",
    "CartItem",
    "ChatMessage",
    "Notification",
    "Order",
    "ResellerRequest",
    "Ticket",
    "User",
    "hash_password",
    "verify_password",
]


def _columns(instance: object) -> dict[str, object]:
    """A row's mapped columns, for a live collection's row template."""
    return {attr.key: getattr(instance, attr.key) for attr in inspect(type(instance)).column_attrs}


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


def _username_of(user_id: object) -> object:
    """The username of the user `user_id` names, as a correlated subquery (an admin's search
    matches it too)."""
    return select(User.username).where(User.id == user_id).scalar_subquery()


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(default=False)


class ChatMessage(Base):
    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    room: Mapped[str] = mapped_column(String(100), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    inserted_at: Mapped[datetime] = mapped_column(default=utcnow)


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    item: Mapped[str] = mapped_column(String(200))
    amount_cents: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    inserted_at: Mapped[datetime] = mapped_column(default=utcnow)
    user: Mapped[User] = relationship(lazy="joined")

    __counters__ = [
        counter(
            "pending_orders",
            where=lambda: Order.status == "pending",
            owner=lambda: Order.user_id,
            invalidates=["orders"],
        ),
        counter(
            "admin_pending_orders",
            where=lambda: Order.status == "pending",
            audience="admin",
            invalidates=["orders", "admin"],
        ),
    ]
    # Money in integer cents, shown in dollars: scale=2 divides exactly, in Decimal.
    __aggregates__ = [
        aggregate(
            "my_spent", "sum", of=lambda: Order.amount_cents, scale=2,
            where=lambda: Order.status == "completed", owner=lambda: Order.user_id,
            invalidates=["orders"],
        ),
        aggregate(
            "revenue", "sum", of=lambda: Order.amount_cents, scale=2,
            where=lambda: Order.status == "completed", audience="admin",
            invalidates=["admin"],
        ),
        aggregate(
            "avg_order", "avg", of=lambda: Order.amount_cents, scale=2,
            where=lambda: Order.status == "completed", audience="admin",
            invalidates=["admin"],
        ),
    ]
    __collections__ = [
        # What a person may change of the order tables (docs/view-params.md): the status
        # filter, a search and two sorts ("inserted" is the id: the order orders were placed).
        collection("my_orders", owner=lambda: Order.user_id, order_by=lambda: [Order.id.desc()],
                   filters={"status": lambda: Order.status},
                   search=lambda: [Order.item],
                   sorts={"amount": lambda: Order.amount_cents, "inserted": lambda: Order.id}),
        collection("all_orders", audience="admin", order_by=lambda: [Order.id.desc()],
                   row=lambda order: {**_columns(order), "username": order.user.username},
                   filters={"status": lambda: Order.status},
                   search=lambda: [Order.item, _username_of(Order.user_id)],
                   sorts={"amount": lambda: Order.amount_cents, "inserted": lambda: Order.id}),
        # Only to chart revenue: completed orders' amounts summed per hour (docs/aggregates.md).
        collection("completed_orders", where=lambda: Order.status == "completed",
                   audience="admin", order_by=lambda: [Order.id.desc()]),
        collection(
            "pending_orders",
            where=lambda: Order.status == "pending",
            audience="admin",
            order_by=lambda: [Order.id],
            row=lambda order: {**_columns(order), "username": order.user.username},
        ),
    ]


class CartItem(Base):
    __tablename__ = "cart_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(default=1)

    __counters__ = [
        counter("cart_items", owner=lambda: CartItem.user_id, invalidates=["cart"]),
    ]
    __collections__ = [
        collection("my_cart", owner=lambda: CartItem.user_id, order_by=lambda: [CartItem.id]),
    ]


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    inserted_at: Mapped[datetime] = mapped_column(default=utcnow)

    __counters__ = [
        counter(
            "active_tickets",
            where=lambda: Ticket.status == "open",
            owner=lambda: Ticket.user_id,
            invalidates=["tickets"],
        ),
    ]
    __collections__ = [
        collection("my_tickets", owner=lambda: Ticket.user_id,
                   order_by=lambda: [Ticket.id.desc()]),
    ]


class ResellerRequest(Base):
    __tablename__ = "reseller_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    inserted_at: Mapped[datetime] = mapped_column(default=utcnow)
    user: Mapped[User] = relationship(lazy="joined")

    __counters__ = [
        counter(
            "admin_pending_reseller_requests",
            where=lambda: ResellerRequest.status == "pending",
            audience="admin",
            invalidates=["admin"],
        ),
    ]
    __collections__ = [
        collection(
            "pending_reseller_requests",
            where=lambda: ResellerRequest.status == "pending",
            audience="admin",
            order_by=lambda: [ResellerRequest.id],
            row=lambda request: {**_columns(request), "username": request.user.username},
        ),
    ]


class Activity(Base):
    """What happened in the shop, one line each: the dashboards' live activity lists."""

    __tablename__ = "activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(String(200))
    inserted_at: Mapped[datetime] = mapped_column(default=utcnow)

    __collections__ = [
        collection("my_activity", owner=lambda: Activity.user_id,
                   order_by=lambda: [Activity.id.desc()]),
        collection("all_activity", audience="admin", order_by=lambda: [Activity.id.desc()]),
    ]


Notification = notification_model(Base, user_fk="users.id")
"""liveui's in-app notifications, in the demo's own metadata (and migrations)."""


def hash_password(password: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    secret = password.encode("utf-8", "surrogatepass")  # any str a form can carry
    digest = hashlib.pbkdf2_hmac("sha256", secret, salt.encode(), 50_000).hex()
    return f"{salt}${digest}"


def verify_password(password: str, stored: str) -> bool:
    salt, _, _ = stored.partition("$")
    return hmac.compare_digest(hash_password(password, salt), stored)
