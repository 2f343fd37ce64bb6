"""First-start data, so the first screen is not empty."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .models import CartItem, ChatMessage, Order, ResellerRequest, Ticket, User, hash_password

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "seed"]

DEMO_PASSWORD = "demo"
DEMO_USERS = [
    ("alice", "Alice Martin", False),
    ("bob", "Bob Okafor", False),
    ("carol", "Carol Jensen", False),
    ("admin", "Ada Admin", True),
]


async def seed(sessions: async_sessionmaker[AsyncSession], dispatch: Any = None) -> bool:
    """Create the demo users and a little history; does nothing when users already exist."""
    async with sessions() as session:
        if await session.scalar(select(func.count()).select_from(User)):
            return False
        password = hash_password(DEMO_PASSWORD)
        users = {
            name: User(username=name, display_name=display, password_hash=password, is_admin=admin)
            for name, display, admin in DEMO_USERS
        }
        session.add_all(users.values())
        await session.flush()
        alice, bob, carol = users["alice"], users["bob"], users["carol"]
        session.add_all(
            [
                Order(user_id=alice.id, item="4K monitor", amount_cents=32900),
                Order(user_id=alice.id, item="USB-C dock", amount_cents=15900, status="completed"),
                Order(user_id=bob.id, item="Standing desk", amount_cents=54900),
                Order(user_id=carol.id, item="Webcam", amount_cents=7900, status="cancelled"),
                CartItem(user_id=alice.id, name="Wireless mouse"),
                CartItem(user_id=bob.id, name="Laptop stand", quantity=2),
                Ticket(user_id=alice.id, subject="Delivery is late"),
                Ticket(user_id=bob.id, subject="Need a VAT receipt", status="closed"),
                ResellerRequest(user_id=bob.id),
                ChatMessage(
                    room="lobby", user_id=alice.id, body="Morning! Anyone seen the new dock?"
                ),
                ChatMessage(room="lobby", user_id=bob.id, body="Yes, it shipped yesterday."),
            ]
        )
        if dispatch is not None:
            for user in (alice, bob):
                await dispatch.notify(
                    session,
                    user.id,
                    type="info",
                    title="Welcome to the shop",
                    message="Your dashboard updates live. Try placing an order.",
                    action_label="Place an order",
                    action_url="/orders",
                )
                await dispatch.notify(
                    session,
                    user.id,
                    type="success",
                    title="Order #2 completed" if user is alice else "Profile verified",
                    message="Thanks for shopping with us.",
                    action_label="View orders",
                    action_url="/orders",
                )
                old = await dispatch.notify(
                    session,
                    user.id,
                    type="warning",
                    title="Password expires soon",
                    message="Change it within 14 days.",
                )
                old.read = True
        await session.commit()
    return True
