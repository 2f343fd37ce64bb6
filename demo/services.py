"""What the demo's buttons do, one function per action, each one transaction.

Counters need no code here: the dispatcher sees the committed rows. Notifications are stored in
the same transaction as the change they announce, so both commit (and broadcast) or neither.
"""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import Activity, CartItem, Order, ResellerRequest, Ticket, User

__all__ = [
    "ActionError",
    "add_cart_item",
    "approve_reseller",
    "cancel_order",
    "close_ticket",
    "complete_order",
    "open_ticket",
    "place_order",
    "remove_cart_item",
    "request_reseller",
]

PRODUCTS = [
    ("Ergonomic keyboard", 8900),
    ("4K monitor", 32900),
    ("USB-C dock", 15900),
    ("Noise-cancelling headset", 19900),
    ("Standing desk", 54900),
    ("Webcam", 7900),
    ("Laptop stand", 4900),
    ("Wireless mouse", 3900),
]
SUBJECTS = [
    "Invoice shows the wrong address",
    "Delivery is late",
    "Cannot reset my password",
    "Question about bulk pricing",
    "Item arrived damaged",
    "Need a VAT receipt",
]


class ActionError(Exception):
    """The action is not allowed or not possible; the message is shown to the user."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _log(session: AsyncSession, user_id: int, text: str) -> None:
    """One line of the live activity lists, in the action's own transaction."""
    session.add(Activity(user_id=user_id, text=text))


async def _notify(dispatch: Any, session: AsyncSession, user_id: int, **fields: Any) -> None:
    if dispatch is not None:
        await dispatch.notify(session, user_id, **fields)


async def place_order(session: AsyncSession, user: User, item: str | None = None) -> Order:
    name, cents = random.choice(PRODUCTS)
    order = Order(user_id=user.id, item=item or name, amount_cents=cents)
    session.add(order)
    await session.flush()
    _log(session, user.id, f"{user.display_name} placed order #{order.id} ({order.item})")
    await session.commit()
    return order


async def cancel_order(session: AsyncSession, dispatch: Any, order_id: int, actor: User) -> Order:
    order = await session.get(Order, order_id)
    if order is None:
        raise ActionError("No such order.", 404)
    if order.user_id != actor.id and not actor.is_admin:
        raise ActionError("You can only cancel your own orders.", 403)
    if order.status != "pending":
        raise ActionError(f"Order #{order.id} is already {order.status}.", 409)
    order.status = "cancelled"
    _log(session, order.user_id, f"{actor.display_name} cancelled order #{order.id}")
    if actor.id != order.user_id:
        await _notify(
            dispatch,
            session,
            order.user_id,
            type="warning",
            title=f"Order #{order.id} was cancelled",
            message=f"Your order for {order.item} was cancelled by our team.",
            action_label="View orders",
            action_url="/orders",
        )
    await session.commit()
    return order


async def complete_order(session: AsyncSession, dispatch: Any, order_id: int, actor: User) -> Order:
    if not actor.is_admin:
        raise ActionError("Only an admin can complete orders.", 403)
    order = await session.get(Order, order_id)
    if order is None:
        raise ActionError("No such order.", 404)
    if order.status != "pending":
        raise ActionError(f"Order #{order.id} is already {order.status}.", 409)
    order.status = "completed"
    _log(session, order.user_id, f"Order #{order.id} completed")
    await _notify(
        dispatch,
        session,
        order.user_id,
        type="success",
        title=f"Order #{order.id} completed",
        message=f"Your {order.item} is on its way.",
        action_label="View orders",
        action_url="/orders",
    )
    await session.commit()
    return order


async def add_cart_item(session: AsyncSession, user: User) -> CartItem:
    item = CartItem(user_id=user.id, name=random.choice(PRODUCTS)[0])
    session.add(item)
    _log(session, user.id, f"{user.display_name} put {item.name} in the cart")
    await session.commit()
    return item


async def remove_cart_item(session: AsyncSession, item_id: int, actor: User) -> None:
    item = await session.get(CartItem, item_id)
    if item is None or item.user_id != actor.id:
        raise ActionError("No such item in your cart.", 404)
    await session.delete(item)
    _log(session, actor.id, f"{actor.display_name} took {item.name} out of the cart")
    await session.commit()


async def open_ticket(session: AsyncSession, user: User, subject: str | None = None) -> Ticket:
    ticket = Ticket(user_id=user.id, subject=subject or random.choice(SUBJECTS))
    session.add(ticket)
    await session.flush()
    _log(session, user.id, f"{user.display_name} opened ticket #{ticket.id}")
    await session.commit()
    return ticket


async def close_ticket(session: AsyncSession, ticket_id: int, actor: User) -> Ticket:
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None or (ticket.user_id != actor.id and not actor.is_admin):
        raise ActionError("No such ticket.", 404)
    ticket.status = "closed"
    _log(session, ticket.user_id, f"Ticket #{ticket.id} closed")
    await session.commit()
    return ticket


async def request_reseller(session: AsyncSession, user: User) -> ResellerRequest:
    pending = await session.scalar(
        select(ResellerRequest).where(
            ResellerRequest.user_id == user.id, ResellerRequest.status == "pending"
        )
    )
    if pending is not None:
        raise ActionError("You already have a pending request.", 409)
    request = ResellerRequest(user_id=user.id)
    session.add(request)
    _log(session, user.id, f"{user.display_name} asked to become a reseller")
    await session.commit()
    return request


async def approve_reseller(
    session: AsyncSession, dispatch: Any, request_id: int, actor: User
) -> ResellerRequest:
    if not actor.is_admin:
        raise ActionError("Only an admin can approve reseller requests.", 403)
    request = await session.get(ResellerRequest, request_id)
    if request is None or request.status != "pending":
        raise ActionError("No such pending request.", 404)
    request.status = "approved"
    _log(session, request.user_id, "Reseller request approved")
    await _notify(
        dispatch,
        session,
        request.user_id,
        type="success",
        title="Reseller access approved",
        message="You can now order at reseller prices.",
        action_label="See details",
        action_url="/reseller",
    )
    await session.commit()
    return request
