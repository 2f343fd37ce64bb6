"""A small app for the live-UI browser tests: users in SQLite, counters via the real Dispatch.

Run it in a subprocess (for the restart test) with
`python -m tests.e2e.live_app --db PATH --port N --transport sse|ws`.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import ForeignKey, String, create_engine
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from liveui import (
    Dispatch,
    DispatchSettings,
    LiveCollection,
    LiveSettings,
    LiveUI,
    Node,
    collection,
    counter,
    notification_model,
)

SECRET = "e2e-live-secret-of-at-least-32-characters"
TEMPLATES = Path(__file__).parent / "templates"


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    __counters__ = [
        counter("pending_orders", where=lambda: Order.status == "pending",
                owner=lambda: Order.user_id),
    ]
    __collections__ = [
        collection("my_orders", owner=lambda: Order.user_id, order_by=lambda: [Order.id.desc()]),
    ]


class MyOrders(LiveCollection):
    """The user's orders; each pending row has a Cancel button that works without JavaScript
    (a form post to `app_url(...)`, so it stays under the prefix the app is mounted at)."""

    name = "e2e_my_orders"
    collection = "my_orders"
    row_template = "order_row.html"


Notification = notification_model(Base, user_fk="users.id")


def create_database(path: Path, users: int = 2) -> None:
    """Tables and users 1..n (sync; called by the tests before the server starts)."""
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        for i in range(1, users + 1):
            if session.get(User, i) is None:
                session.add(User(id=i, name=f"user{i}"))
        session.commit()
    engine.dispose()


@dataclass
class App:
    app: Starlette
    live: LiveUI
    dispatch: Dispatch


def build_app(db_path: Path, transport: str = "sse", settings: LiveSettings | None = None) -> App:
    engine = create_async_engine(f"sqlite+aiosqlite:///{db_path}")
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    node = Node()
    dispatch = Dispatch(
        DispatchSettings(models=[Order], user_model=User, notification_model=Notification,
                         coalesce_window=0.002),
        node=node,
        engine=engine,
    )
    dispatch.install(sessions)
    live = LiveUI(
        node=node,
        dispatch=dispatch,
        secret_key=SECRET,
        transport="ws" if transport == "ws" else "sse",
        settings=settings,
        get_user_id=lambda request: request.session.get("user_id"),
    )
    templates = Jinja2Templates(directory=str(TEMPLATES))
    live.install_templates(templates)

    async def login(request: Request) -> Response:
        request.session["user_id"] = int(request.path_params["user_id"])
        return RedirectResponse(request.url_for("home"), status_code=303)

    async def home(request: Request) -> Response:
        await live.prepare(request)
        return templates.TemplateResponse(request, "live_page.html")

    async def orders(request: Request) -> Response:
        await live.prepare(request, MyOrders())
        csrf = request.session.setdefault("csrf", secrets.token_urlsafe(16))
        return templates.TemplateResponse(request, "orders_page.html", {"csrf_token": csrf})

    async def cancel_order(request: Request) -> Response:
        form = await request.form()
        expected = request.session.get("csrf")
        if not expected or not secrets.compare_digest(str(form.get("csrf_token", "")), expected):
            return PlainTextResponse("bad CSRF token", status_code=403)
        async with sessions() as session:
            order = await session.get(Order, request.path_params["order_id"])
            if order is None or order.user_id != request.session.get("user_id"):
                return PlainTextResponse("no such order", status_code=404)
            order.status = "cancelled"
            await session.commit()
        return RedirectResponse(request.url_for("orders"), status_code=303)

    async def add_order(request: Request) -> Response:
        user_id = int(request.path_params["user_id"])
        async with sessions() as session:
            session.add(Order(user_id=user_id))
            await session.commit()
        return JSONResponse({"ok": True})

    async def notify(request: Request) -> Response:
        user_id = int(request.path_params["user_id"])
        body: dict[str, Any] = await request.json()
        notification = await dispatch.notify(None, user_id, **body)
        return JSONResponse({"id": notification.id})

    @contextlib.asynccontextmanager
    async def lifespan(app: object) -> AsyncIterator[None]:
        async with node.lifespan(app):
            try:
                yield
            finally:
                await engine.dispose()

    app = Starlette(
        routes=[
            *live.routes(),
            Route("/", home, name="home"),
            Route("/login/{user_id:int}", login),
            Route("/orders", orders, name="orders"),
            Route("/orders/{order_id:int}/cancel", cancel_order, methods=["POST"]),
            Route("/test/orders/{user_id:int}", add_order, methods=["POST"]),
            Route("/test/notify/{user_id:int}", notify, methods=["POST"]),
        ],
        middleware=[Middleware(SessionMiddleware, secret_key=SECRET)],
        lifespan=lifespan,
    )
    return App(app, live, dispatch)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--transport", default="sse")
    args = parser.parse_args()
    built = build_app(Path(args.db), args.transport)
    uvicorn.run(built.app, host="127.0.0.1", port=args.port, log_level="warning",
                timeout_graceful_shutdown=1)


if __name__ == "__main__":
    main()
