"""liveui in a FastAPI app: `uvicorn docs.examples.fastapi.app:api`.

The live pages and the JSON channel (for a React front end) next to ordinary FastAPI routes:
one `current_user` dependency is both the routes' and the live UI's idea of who is logged in,
and the app's lifespan enters the node's.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import ForeignKey, String
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from starlette.middleware.sessions import SessionMiddleware

from liveui import (
    ConnectInfo,
    Dispatch,
    DispatchSettings,
    Endpoint,
    LiveUI,
    Node,
    Socket,
    TokenError,
    UserChannel,
    channel,
    counter,
    notification_model,
    sign_token,
    verify_token,
)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class Ticket(Base):
    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")

    __counters__ = [
        counter("open_tickets", where=lambda: Ticket.status == "open",
                owner=lambda: Ticket.user_id, invalidates=["tickets"]),
    ]


Notification = notification_model(Base, user_fk="users.id")

SECRET = os.environ.get("FASTAPI_EXAMPLE_SECRET") or secrets.token_urlsafe(32)  # 32+ chars
SOCKET_SALT = "user socket"
engine = create_async_engine(
    os.environ.get("FASTAPI_EXAMPLE_DATABASE", "sqlite+aiosqlite:///fastapi-example.db")
)
sessions = async_sessionmaker(engine, expire_on_commit=False)
node = Node()
dispatch = Dispatch(
    DispatchSettings(models=[Ticket], user_model=User, notification_model=Notification),
    node=node,
    engine=engine,
)
dispatch.install(sessions)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


async def current_user(request: Request) -> int | None:
    """The FastAPI dependency of the routes, and the live UI's `get_user_id`."""
    user_id = request.session.get("user_id")
    return int(user_id) if user_id is not None else None


live = LiveUI(node=node, dispatch=dispatch, secret_key=SECRET, get_user_id=current_user,
              templates=templates)


class UserSocket(Socket):
    """The JSON channel for SPA clients: a token from `/api/socket-token`, `user:<id>` only."""

    channels = [channel("user:*", UserChannel, dispatch=dispatch)]

    async def connect(self, params: dict[str, Any], connect_info: ConnectInfo) -> Any:
        try:
            user_id = verify_token(SECRET, params.get("token"), max_age=3600, salt=SOCKET_SALT)
        except TokenError:
            return None
        return {"user_id": str(user_id)}


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with sessions() as session:
        if await session.get(User, 1) is None:
            session.add(User(id=1, name="alice"))
            await session.commit()
    async with node.lifespan():  # dispatch, the channel endpoint and the live UI
        yield
    await engine.dispose()


api = FastAPI(lifespan=lifespan)
CurrentUser = Annotated[int | None, Depends(current_user)]


@api.get("/login/{user_id}")
async def login(request: Request, user_id: int) -> RedirectResponse:
    request.session["user_id"] = user_id  # stands in for a real log-in
    return RedirectResponse(request.url_for("home"), status_code=303)


@api.get("/", response_class=HTMLResponse, name="home")
async def home(request: Request, user: CurrentUser) -> HTMLResponse:
    await live.prepare(request)
    return templates.TemplateResponse(request, "home.html", {"user": user})


@api.post("/api/tickets")
async def open_ticket(user: CurrentUser) -> dict[str, int]:
    if user is None:
        raise HTTPException(401)
    async with sessions() as session:
        ticket = Ticket(user_id=user)
        session.add(ticket)
        await session.commit()
    return {"id": ticket.id}


@api.get("/api/socket-token")
async def socket_token(user: CurrentUser) -> dict[str, str]:
    if user is None:
        raise HTTPException(401)
    return {"token": sign_token(SECRET, user, salt=SOCKET_SALT)}


for route in live.routes():  # <prefix>/sse, /ws, /event and the static files
    api.router.routes.append(route)
api.router.routes.append(Endpoint(node).mount("/socket", UserSocket()))
api.add_middleware(SessionMiddleware, secret_key=SECRET, same_site="lax")
