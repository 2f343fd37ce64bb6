"""Writes the dispatch hooks never see: Core statements on the engine, exactly the state of a
node whose broadcasts were lost while its pub/sub backend was away (the resync tests)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["insert_unseen_order"]


async def insert_unseen_order(engine: AsyncEngine, order_model: Any, user_id: int) -> None:
    """Insert a pending order of `user_id` behind the dispatch's back."""
    async with engine.begin() as conn:
        await conn.execute(insert(order_model.__table__).values(user_id=user_id, status="pending"))
