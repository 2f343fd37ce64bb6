"""Log in and out with a signed session cookie; a per-session CSRF token for the demo's forms."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .models import User, verify_password

__all__ = ["check_csrf", "csrf_token", "current_user_id", "log_in", "log_out", "require_user"]


def current_user_id(request: Request) -> str | None:
    user_id = request.session.get("user_id")
    return str(user_id) if user_id is not None else None


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return str(token)


async def check_csrf(request: Request) -> dict[str, Any]:
    """Read the form and reject it unless it carries this session's CSRF token."""
    form = await request.form()
    sent = form.get("csrf_token") or request.headers.get("x-csrf-token")
    expected = request.session.get("csrf")
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise HTTPException(403, "CSRF token missing or invalid; reload the page and try again")
    return dict(form)


async def require_user(request: Request) -> User:
    user_id = current_user_id(request)
    if user_id is not None:
        async with request.app.state.sessions() as session:
            user = await session.get(User, int(user_id))
        if user is not None:
            return user
    raise HTTPException(303, headers={"Location": f"/login?next={request.url.path}"})


async def log_in(request: Request, username: str, password: str) -> User | None:
    async with request.app.state.sessions() as session:
        user = await session.scalar(select(User).where(User.username == username))
    if user is None or not verify_password(password, user.password_hash):
        return None
    request.session.clear()
    request.session["user_id"] = user.id
    return user


def log_out(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
