"""Who may read the demo's operator pages (`/metrics`, the dev panel at `/admin/liveui`): a
logged-in admin, or — for `/metrics` — a scraper sending `Authorization: Bearer
$LIVEUI_METRICS_TOKEN` when that is set."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request

from .auth import current_user_id
from .models import User

__all__ = ["admin_by_id", "is_admin", "may_read_metrics"]


def admin_by_id(
    sessions: async_sessionmaker[AsyncSession],
) -> Callable[[Any], Awaitable[bool]]:
    """`is_admin(user_id)` for the dev panel: read from the database at each check, so an
    admin who loses the role loses the panel at once."""

    async def is_admin_user(user_id: Any) -> bool:
        key = str(user_id)
        if not key.isdigit() or len(key) > 18:
            return False
        async with sessions() as session:
            user = await session.get(User, int(key))
        return user is not None and user.is_admin

    return is_admin_user


async def is_admin(request: Request) -> bool:
    user_id = current_user_id(request)
    return user_id is not None and await admin_by_id(request.app.state.sessions)(user_id)


async def may_read_metrics(request: Request) -> bool:
    token = request.app.state.config.metrics_token
    sent = request.headers.get("authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    return await is_admin(request)
