"""The demo's pages and form actions. Every action is a POST with the session's CSRF token and
redirects back (post/redirect/get), so the pages work without JavaScript; liveui makes the
badges, notifications and tables live on top, and with JavaScript the same buttons run as live
actions (`LIVE_ACTIONS`): no page load, the flash message and every change arrive as patches."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from liveui import EventRejected, LiveComponent, LiveUI

from . import services
from .auth import (
    TooManyAttempts,
    check_csrf,
    csrf_token,
    current_login,
    current_user_id,
    log_in,
    log_out,
    require_login,
    require_user,
    retry_after_header,
)
from .components import (
    AllActivity,
    AllOrders,
    MyActivity,
    MyCart,
    MyOrders,
    MyOrdersPerMinute,
    MyTickets,
    OnlineInChat,
    OrdersPerMinute,
    PendingOrders,
    PendingResellerRequests,
    RevenueOverTime,
)
from .models import ResellerRequest, User
from .sockets import ROOM_MEMBERS, socket_token
from .ticket_form import ERRORS_KEY

MAX_ID_DIGITS = 18
"""Path ids are database integers: a longer number is no id of ours (404, not an overflow)."""

__all__ = [
    "EXCEPTION_HANDLERS",
    "LIVE_ACTIONS",
    "SPA_DIST",
    "install_live_actions",
    "live_user_id",
    "routes",
]


def live_user_id(request: Request) -> str | None:
    return current_user_id(request)


async def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    status: int = 200,
    *components: LiveComponent,
) -> Response:
    state = request.app.state
    user = context.get("user")
    await state.live.prepare(request, *components)
    login = current_login(request) if user else None
    base = {
        "request": request,
        "csrf_token": csrf_token(request) if "session" in request.scope else "",
        "path": request.url.path,
        "flash": request.session.pop("flash", None) if "session" in request.scope else None,
        "socket_token": socket_token(state.config.secret_key, login) if login else None,
    }
    return state.templates.TemplateResponse(request, name, {**base, **context}, status_code=status)


def back(request: Request, default: str, flash: str | None = None) -> Response:
    if flash:
        request.session["flash"] = flash
    return RedirectResponse(default, status_code=303)


Handler = Callable[[Request, AsyncSession, User, dict[str, Any]], Awaitable[str | None]]
"""An action: the request, the one database session it reads the user in and makes its change
in, that user, and the form's fields."""


def action(path: str, redirect: str, handler: Handler) -> Route:
    """A POST endpoint: logged-in user, CSRF-checked form, ActionError shown as a flash."""

    async def endpoint(request: Request) -> Response:
        require_login(request)
        form = await check_csrf(request)  # read before a database connection is taken
        async with request.app.state.sessions() as session:
            user = await require_user(request, session)
            try:
                flash = await handler(request, session, user, form)
            except services.ActionError as exc:
                if exc.status == 403:
                    raise HTTPException(403, str(exc)) from None
                flash = str(exc)
        return back(request, redirect, flash)

    return Route(path, endpoint, methods=["POST"])


def _id(request: Request, form: dict[str, Any] | None = None) -> int:
    """The record id: from the URL (a form post) or the fields (a live action); 404 for
    anything that is no id of ours."""
    raw = request.path_params.get("id") or (form or {}).get("id")
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit():
        raise HTTPException(404, "Not found")
    if len(raw) > MAX_ID_DIGITS:
        raise HTTPException(404, "Not found")
    return int(raw)


# pages -----------------------------------------------------------------------------------------
async def login_page(request: Request) -> Response:
    if request.method == "POST":
        form = await check_csrf(request)  # login CSRF: no logging a victim into another account
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        try:
            user = await log_in(request, username.strip().lower()[:50], password)
        except TooManyAttempts as exc:
            response = await render(
                request,
                "login.html",
                {"error": "Too many failed attempts; try again later.", "username": username},
                429,
            )
            response.headers.update(retry_after_header(exc.retry_after))
            return response
        if user is not None:
            target = str(request.query_params.get("next") or "/")
            return RedirectResponse(
                target if target.startswith("/") and not target.startswith("//") else "/",
                status_code=303,
            )
        return await render(
            request,
            "login.html",
            {"error": "Unknown user or wrong password.", "username": username},
            401,
        )
    return await render(request, "login.html", {})


async def logout(request: Request) -> Response:
    if request.method == "POST":
        await check_csrf(request)
        return await log_out(request)
    return await render(request, "logout.html", {"user": await require_user(request)})


async def dashboard(request: Request) -> Response:
    user = await require_user(request)
    activity = AllActivity() if user.is_admin else MyActivity()
    return await render(
        request, "dashboard.html", {"user": user, "activity": activity.name}, 200, activity,
        MyOrdersPerMinute(),
    )


def own_rows_page(template: str, component: type[LiveComponent]) -> Any:
    """A page showing the logged-in user's own rows: a live collection does the listing."""

    async def page(request: Request) -> Response:
        user = await require_user(request)
        return await render(request, template, {"user": user}, 200, component())

    return page


async def orders_page(request: Request) -> Response:
    """The user's orders in the view the URL asks for (`?status=pending&q=desk&sort=-amount`;
    values the table does not allow fall back to its defaults)."""
    user = await require_user(request)
    table = MyOrders(view=request.query_params)
    return await render(request, "orders.html", {"user": user}, 200, table)


async def admin_orders_page(request: Request) -> Response:
    """Everyone's orders, for admins, in the view the URL asks for."""
    user = await require_user(request)
    if not user.is_admin:
        raise HTTPException(403, "The admin area is for administrators.")
    table = AllOrders(view=request.query_params)
    revenue = RevenueOverTime(view=request.query_params)
    return await render(request, "admin_orders.html", {"user": user}, 200, table, revenue)


cart_page = own_rows_page("cart.html", MyCart)
_tickets_rows = own_rows_page("tickets.html", MyTickets)


async def tickets_page(request: Request) -> Response:
    """The tickets, with what the plain POST of the ticket form left when it was refused."""
    request.state.form_errors = request.session.pop(ERRORS_KEY, None) or {}
    response: Response = await _tickets_rows(request)
    return response


async def reseller_page(request: Request) -> Response:
    user = await require_user(request)
    async with request.app.state.sessions() as session:
        query = select(ResellerRequest).where(ResellerRequest.user_id == user.id)
        rows = (await session.scalars(query.order_by(ResellerRequest.id.desc()))).all()
    return await render(request, "reseller.html", {"user": user, "requests": rows})


async def admin_page(request: Request) -> Response:
    user = await require_user(request)
    if not user.is_admin:
        raise HTTPException(403, "The admin area is for administrators.")
    async with request.app.state.sessions() as session:
        users = (await session.scalars(select(User).order_by(User.username))).all()
    simulator = request.app.state.simulator
    return await render(
        request,
        "admin.html",
        {"user": user, "users": users, "simulating": simulator.running},
        200,
        PendingOrders(),
        PendingResellerRequests(),
        OrdersPerMinute(view=request.query_params),
        OnlineInChat(),
    )


async def chat_page(request: Request) -> Response:
    user = await require_user(request)
    member = user.username in ROOM_MEMBERS["lobby"]
    return await render(request, "chat.html", {"user": user, "member": member})


SPA_DIST = Path(__file__).resolve().parent / "spa" / "dist"


async def spa_page(request: Request) -> Response:
    """The React app (demo/spa, built by `make setup`), given its socket token in meta tags."""
    user = await require_user(request)
    index = SPA_DIST / "index.html"
    if not index.is_file():
        raise HTTPException(503, "The React app is not built; run `make setup`.")
    state = request.app.state
    login = current_login(request)
    assert login is not None  # require_user passed
    token = socket_token(state.config.secret_key, login)
    meta = (
        f'<meta name="liveui-socket-token" content="{escape(token)}">'
        f'<meta name="liveui-user-id" content="{escape(str(user.id))}">'
    )
    html = index.read_text().replace("</head>", meta + "</head>", 1)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


# actions ---------------------------------------------------------------------------------------
async def _place_order(
    request: Request, session: AsyncSession, user: User, form: dict[str, Any]
) -> str:
    order = await services.place_order(session, user)
    return f"Order #{order.id} placed: {order.item}."


async def _cancel_order(
    request: Request, session: AsyncSession, user: User, form: dict[str, Any]
) -> str:
    order = await services.cancel_order(
        session, request.app.state.dispatch, _id(request, form), user
    )
    return f"Order #{order.id} cancelled."


async def _complete_order(
    request: Request, session: AsyncSession, user: User, form: dict[str, Any]
) -> str:
    order = await services.complete_order(
        session, request.app.state.dispatch, _id(request, form), user
    )
    return f"Order #{order.id} completed; {order.user.display_name} was notified."


async def _add_item(
    request: Request, session: AsyncSession, user: User, form: dict[str, Any]
) -> str:
    item = await services.add_cart_item(session, user)
    return f"Added {item.name} to your cart."


async def _remove_item(
    request: Request, session: AsyncSession, user: User, form: dict[str, Any]
) -> str:
    await services.remove_cart_item(session, _id(request, form), user)
    return "Item removed."


async def _close_ticket(
    request: Request, session: AsyncSession, user: User, form: dict[str, Any]
) -> str:
    ticket = await services.close_ticket(session, _id(request, form), user)
    return f"Ticket #{ticket.id} closed."


async def _request_reseller(
    request: Request, session: AsyncSession, user: User, form: dict[str, Any]
) -> str:
    await services.request_reseller(session, user)
    return "Request sent; an admin will review it."


async def _approve_reseller(
    request: Request, session: AsyncSession, user: User, form: dict[str, Any]
) -> str:
    await services.approve_reseller(
        session, request.app.state.dispatch, _id(request, form), user
    )
    return "Reseller access approved."


async def _toggle_simulation(
    request: Request, session: AsyncSession, user: User, form: dict[str, Any]
) -> str:
    if not user.is_admin:
        raise services.ActionError("Only an admin can simulate activity.", 403)
    simulator = request.app.state.simulator
    if form.get("enabled") == "1" or (form.get("enabled") is None and not simulator.running):
        simulator.start(_interval(form.get("interval")))
        return "Simulating activity from other users."
    await simulator.stop()
    return "Simulation stopped."


def _interval(raw: Any) -> float:
    """Seconds between simulated actions: a finite number in [0.1, 3600] (else 400)."""
    if raw is None or raw == "":
        return 2.0
    try:
        value = float(str(raw)[:32])
    except ValueError:
        raise services.ActionError("The interval must be a number of seconds.") from None
    if not math.isfinite(value) or not 0.1 <= value <= 3600:
        raise services.ActionError("The interval must be between 0.1 and 3600 seconds.")
    return value


async def _log_out_everywhere(
    request: Request, session: AsyncSession, user: User, form: dict[str, Any]
) -> str:
    """Admin: end every login of a user (browsers and tokens) on every node."""
    if not user.is_admin:
        raise services.ActionError("Only an admin can log users out.", 403)
    target = await session.get(User, _id(request))
    if target is None:
        raise services.ActionError("No such user.", 404)
    await request.app.state.node.revocations.revoke_user(target.id)
    return f"{target.display_name} was logged out everywhere."


LIVE_ACTIONS: dict[str, Handler] = {
    "place_order": _place_order,
    "cancel_order": _cancel_order,
    "complete_order": _complete_order,
    "add_item": _add_item,
    "remove_item": _remove_item,
    "close_ticket": _close_ticket,
    "approve_reseller": _approve_reseller,
}
"""The buttons that also run as live actions: the same handlers as the form posts."""


def install_live_actions(live: LiveUI) -> None:
    for name, handler in LIVE_ACTIONS.items():
        live.action(name)(_live_action(handler))


def _live_action(handler: Handler) -> Any:
    async def run(request: Request, user_id: Any, fields: Any) -> str | None:
        async with request.app.state.sessions() as session:
            user = await session.get(User, int(user_id))
            if user is None:
                raise EventRejected(403, "Your account is gone; log in again.")
            try:
                return await handler(request, session, user, dict(fields))
            except services.ActionError as exc:
                raise EventRejected(exc.status, str(exc)) from None
            except HTTPException as exc:
                raise EventRejected(exc.status_code, str(exc.detail)) from None

    return run


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (301, 302, 303) and exc.headers:
        return RedirectResponse(exc.headers["Location"], status_code=exc.status_code)
    if request.headers.get("hx-request"):
        return HTMLResponse(str(exc.detail), status_code=exc.status_code)
    user_id = current_user_id(request) if "session" in request.scope else None
    user = None
    if user_id is not None:
        async with request.app.state.sessions() as session:
            user = await session.get(User, int(user_id))
    return await render(
        request,
        "error.html",
        {"user": user, "status": exc.status_code, "detail": exc.detail},
        exc.status_code,
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {HTTPException: http_error}


def routes() -> list[Route]:
    return [
        Route("/", dashboard),
        Route("/login", login_page, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["GET", "POST"]),
        Route("/orders", orders_page),
        Route("/cart", cart_page),
        Route("/tickets", tickets_page),
        Route("/reseller", reseller_page),
        Route("/admin", admin_page),
        Route("/admin/orders", admin_orders_page),
        Route("/chat", chat_page),
        Route("/spa", spa_page),
        action("/orders/place", "/orders", _place_order),
        action("/orders/{id}/cancel", "/orders", _cancel_order),
        action("/admin/orders/{id}/complete", "/admin", _complete_order),
        action("/admin/orders/{id}/cancel", "/admin", _cancel_order),
        action("/cart/add", "/cart", _add_item),
        action("/cart/{id}/remove", "/cart", _remove_item),
        action("/tickets/{id}/close", "/tickets", _close_ticket),
        action("/reseller/request", "/reseller", _request_reseller),
        action("/admin/reseller/{id}/approve", "/admin", _approve_reseller),
        action("/admin/simulate", "/admin", _toggle_simulation),
        action("/admin/users/{id}/logout", "/admin", _log_out_everywhere),
    ]
