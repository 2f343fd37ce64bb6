"""The README's quick start, runnable: `uvicorn docs.examples.quickstart.app:app`.

One model with a counter, one page with a live badge and the notification dropdown.
(Log-in is faked with `?user=<id>` to keep the example short; use real sessions in an app.)
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import ForeignKey, String
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from liveui import Dispatch, DispatchSettings, LiveUI, Node, counter, notification_model


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
                owner=lambda: Order.user_id, invalidates=["orders"]),
    ]


Notification = notification_model(Base, user_fk="users.id")

DATABASE = os.environ.get("QUICKSTART_DATABASE", "sqlite+aiosqlite:///quickstart.db")
engine = create_async_engine(DATABASE)
sessions = async_sessionmaker(engine, expire_on_commit=False)
node = Node()  # this process's runtime: pub/sub hub, shared timer, one lifespan
dispatch = Dispatch(
    DispatchSettings(models=[Order], user_model=User, notification_model=Notification),
    node=node,
    engine=engine,
)
dispatch.install(sessions)  # counters recount after every commit of these sessions
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
live = LiveUI(
    node=node,
    dispatch=dispatch,
    # Signs the live tokens: set QUICKSTART_SECRET (32+ random characters) to keep tabs working
    # across restarts; without it a fresh random secret is made at every start. liveui refuses
    # a default or short secret (pass debug=True only for throwaway local experiments).
    secret_key=os.environ.get("QUICKSTART_SECRET") or secrets.token_urlsafe(32),
    get_user_id=lambda request: request.query_params.get("user"),
    templates=templates,
)


async def home(request: Request) -> Response:
    await live.prepare(request)  # loads this user's counters and notifications once
    user = request.query_params.get("user")
    return templates.TemplateResponse(request, "home.html", {"user": user})


async def place_order(request: Request) -> Response:
    user = int(request.query_params["user"])
    async with sessions() as session:
        session.add(Order(user_id=user))
        await dispatch.notify(session, user, title="Order placed", message="We got it.")
        await session.commit()  # badges and bells update in every tab after this commit
    return RedirectResponse(f"/?user={user}", status_code=303)


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with sessions() as session:
        if await session.get(User, 1) is None:
            session.add(User(id=1, name="alice"))
            await session.commit()
    async with node.lifespan():  # starts dispatch and the live endpoints, stops them in order
        yield


app = Starlette(
    routes=[Route("/", home), Route("/orders", place_order, methods=["POST"]), *live.routes()],
    lifespan=lifespan,
)
