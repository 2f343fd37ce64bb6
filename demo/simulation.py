"""Plausible activity from other users, so one person alone sees the badges move.

Runs inside the server (toggled on /admin); `python -m demo simulate` switches it on over HTTP,
so it works with any pub/sub backend, the in-memory one included.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from . import services
from .models import CartItem, Order, Ticket, User

__all__ = ["Simulator"]

log = logging.getLogger("demo.simulation")


class Simulator:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], dispatch: Any) -> None:
        self.sessions = sessions
        self.dispatch = dispatch
        self._task: asyncio.Task[None] | None = None
        self.steps = 0

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, interval: float = 2.0) -> None:
        if not self.running:
            interval = min(max(interval, 0.2), 60.0)
            self._task = asyncio.create_task(self._run(interval), name="demo-simulator")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, interval: float) -> None:
        while True:
            try:
                await self.step()
            except Exception:
                log.exception("demo: a simulated action failed")
            await asyncio.sleep(interval * random.uniform(0.5, 1.5))

    async def step(self) -> str:
        """One random action by a random customer, or by the admin."""
        async with self.sessions() as session:
            users = (await session.scalars(select(User))).all()
            customers = [u for u in users if not u.is_admin]
            admin = next(u for u in users if u.is_admin)
            user = random.choice(customers)
            roll = random.random()
            self.steps += 1
            if roll < 0.30:
                await services.place_order(session, user)
                return f"{user.username} placed an order"
            if roll < 0.45:
                await services.add_cart_item(session, user)
                return f"{user.username} added to cart"
            if roll < 0.55:
                item = await session.scalar(
                    select(CartItem).where(CartItem.user_id == user.id).limit(1)
                )
                if item is not None:
                    await services.remove_cart_item(session, item.id, user)
                    return f"{user.username} removed a cart item"
            if roll < 0.65:
                await services.open_ticket(session, user)
                return f"{user.username} opened a ticket"
            if roll < 0.75:
                ticket = await session.scalar(
                    select(Ticket)
                    .where(Ticket.user_id == user.id, Ticket.status == "open")
                    .limit(1)
                )
                if ticket is not None:
                    await services.close_ticket(session, ticket.id, user)
                    return f"{user.username} closed a ticket"
            order = await session.scalar(
                select(Order).where(Order.status == "pending").order_by(Order.id).limit(1)
            )
            if order is not None:
                if random.random() < 0.8:
                    await services.complete_order(session, self.dispatch, order.id, admin)
                    return f"admin completed order #{order.id}"
                await services.cancel_order(session, self.dispatch, order.id, admin)
                return f"admin cancelled order #{order.id}"
            await services.place_order(session, user)
            return f"{user.username} placed an order"
