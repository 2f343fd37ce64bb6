"""Who may read the demo's operator pages (`/metrics`, the dev panel): a logged-in admin, or —
for `/metrics` — a scraper sending `Authorization: Bearer $LIVEUI_METRICS_TOKEN` when set."""

from __future__ import annotations

import hmac

from starlette.requests import Request

from .auth import current_user_id
from .models import User

__all__ = ["is_admin", "may_read_metrics"]


async def is_admin(request: Request) -> bool:
    user_id = current_user_id(request)
    if user_id is None or not user_id.isdigit() or len(user_id) > 18:
        return False
    async with request.app.state.sessions() as session:
        user = await session.get(User, int(user_id))
    return user is not None and user.is_admin


async def may_read_metrics(request: Request) -> bool:
    token = request.app.state.config.metrics_token
    sent = request.headers.get("authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    return await is_admin(request)
