"""The small app the codegen tests generate from, also served for the Node store tests.

    liveui gen ts --app tests.codegen.app:app --out tests/codegen/golden

Counters: an owned one with query keys, an admin one, one without keys, and the built-in
`unread_notifications`; aggregates: an admin distinct count and an owned maximum. The
`/test/*` routes let a test outside the process make things happen: insert an order (a real
commit through the dispatch hooks), notify, or broadcast any frame.

Not tests/support/dispatch_schema.py's `make_schema`, on purpose: the models are module-level
with fixed table names, since `liveui gen ts --app` imports this module by name, and the golden
SDK records exactly these counters (`open_tickets` counts every event, not only insert and
complete as `make_schema`'s does).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from liveui import (
    ConnectInfo,
    Dispatch,
    DispatchSettings,
    Endpoint,
    Node,
    Socket,
    SocketInfo,
    TokenError,
    UserChannel,
    aggregate,
    async_url,
    channel,
    counter,
    notification_model,
)
from liveui.tokens import sign, verify

SECRET = "codegen-test-secret"
SALT = "codegen socket"
USERS = {1: ("alice", False), 2: ("bob", False), 3: ("root", True)}


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    __counters__ = [
        counter("pending_orders", where=lambda: Order.status == "pending",
                owner=lambda: Order.user_id, invalidates=["orders"]),
        counter("admin_pending_orders", where=lambda: Order.status == "pending",
                audience="admin", invalidates=["orders", "admin"]),
    ]
    __aggregates__ = [
        aggregate("pending_customers", "count_distinct", of=lambda: Order.user_id,
                  where=lambda: Order.status == "pending", audience="admin",
                  invalidates=["admin"]),
        aggregate("last_order_id", "max", of=lambda: Order.id, owner=lambda: Order.user_id),
    ]


class Ticket(Base):
    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    __counters__ = [
        counter("open_tickets", where=lambda: Ticket.done == False,  # noqa: E712
                owner=lambda: Ticket.user_id),
    ]


Notification = notification_model(Base, user_fk="users.id")


def socket_token(user_id: int | str) -> str:
    return sign(SECRET, str(user_id), salt=SALT)


class AppUserChannel(UserChannel):
    pass


class AppSocket(Socket):
    def __init__(self, dispatch: Dispatch) -> None:
        self.channels = [channel("user:*", AppUserChannel, dispatch=dispatch)]

    async def connect(self, params: dict[str, Any], connect_info: ConnectInfo) -> Any:
        try:
            user_id = verify(SECRET, params.get("token"), max_age=3600, salt=SALT)
        except TokenError:
            return None
        return {"user_id": str(user_id)}

    def id(self, socket: SocketInfo) -> str | None:
        return f"users_socket:{socket.assigns['user_id']}"


def create_app(database_url: str | None = None) -> Starlette:
    if database_url is None:
        default = Path(tempfile.gettempdir()) / "liveui-codegen-app.db"
        database_url = os.environ.get("LIVEUI_CODEGEN_DATABASE_URL") or f"sqlite:///{default}"
    engine = create_async_engine(async_url(database_url))
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    node = Node()
    endpoint = Endpoint(node)
    dispatch = Dispatch(
        DispatchSettings(
            models=[Order, Ticket],
            user_model=User,
            audiences={"admin": User.is_admin == True},  # noqa: E712
            notification_model=Notification,
            coalesce_window=0,
        ),
        node=node,
        engine=engine,
    )
    dispatch.install(sessions)

    async def add_order(request: Request) -> JSONResponse:
        body = await request.json()
        async with sessions() as session:
            session.add(Order(user_id=int(body["user_id"])))
            await session.commit()
        await dispatch.wait_idle()
        return JSONResponse({"ok": True})

    async def notify(request: Request) -> JSONResponse:
        body = await request.json()
        notification = await dispatch.notify(None, int(body["user_id"]), title=body["title"])
        await dispatch.wait_idle()
        return JSONResponse({"id": notification.id})

    async def broadcast(request: Request) -> JSONResponse:
        body = await request.json()
        endpoint.broadcast(body["topic"], body["event"], body["payload"])
        return JSONResponse({"ok": True})

    async def token(request: Request) -> JSONResponse:
        return JSONResponse({"token": socket_token(request.query_params["user_id"])})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        async with sessions() as session:
            for uid, (name, admin) in USERS.items():
                if await session.get(User, uid) is None:
                    session.add(User(id=uid, name=name, is_admin=admin))
            await session.commit()
        async with node.lifespan():
            yield
        await engine.dispose()

    app = Starlette(
        routes=[
            Route("/test/orders", add_order, methods=["POST"]),
            Route("/test/notify", notify, methods=["POST"]),
            Route("/test/broadcast", broadcast, methods=["POST"]),
            Route("/test/token", token),
            endpoint.mount("/socket", AppSocket(dispatch)),
        ],
        lifespan=lifespan,
    )
    app.state.dispatch = dispatch
    return app


app = create_app()
