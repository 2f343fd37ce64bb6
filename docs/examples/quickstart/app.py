"""The README's quick start, runnable: `uvicorn docs.examples.quickstart.app:app`, then open
http://127.0.0.1:8000/login/1 in two tabs and place an order in one of them."""

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
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from liveui import (
    Dispatch,
    DispatchSettings,
    LiveSettings,
    LiveStreams,
    LiveUI,
    Node,
    counter,
    notification_model,
)


# 1. Counters are declared next to the models they count; notifications get a table.
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

# 2. One node (pub/sub hub, shared timer, one lifespan); dispatch and the live UI on it.
# Signs the session cookie and the live tokens: set QUICKSTART_SECRET (32+ random characters)
# to keep logins across restarts; without it a fresh random one is made at every start. liveui
# refuses a default or short secret (LiveUI(debug=True) allows one for throwaway experiments).
SECRET = os.environ.get("QUICKSTART_SECRET") or secrets.token_urlsafe(32)
DATABASE = os.environ.get("QUICKSTART_DATABASE", "sqlite+aiosqlite:///quickstart.db")
engine = create_async_engine(DATABASE)
sessions = async_sessionmaker(engine, expire_on_commit=False)
node = Node()  # Node(pubsub_url="redis://...") to run several processes as one
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
    secret_key=SECRET,
    get_user_id=lambda request: request.session.get("user_id"),  # None: anonymous
    settings=LiveSettings(transport="ws"),   # the default; every limit and timing lives here
    templates=templates,  # adds liveui_head(), live_badge(), notification_dropdown()
)


async def login(request: Request) -> Response:
    # Stands in for your real log-in: remembers the user in the signed session cookie.
    request.session["user_id"] = int(request.path_params["user_id"])
    return RedirectResponse(request.url_for("home"), status_code=303)


async def home(request: Request) -> Response:
    await live.prepare(request)  # loads this user's counters and notifications once
    return templates.TemplateResponse(request, "home.html")


async def place_order(request: Request) -> Response:
    user_id = request.session.get("user_id")
    if user_id is None:
        return RedirectResponse(request.url_for("home"), status_code=303)
    async with sessions() as session:
        session.add(Order(user_id=user_id))
        await dispatch.notify(session, user_id, title="Order placed", message="We got it.")
        await session.commit()  # badges and bells update in every tab after this commit
    return RedirectResponse(request.url_for("home"), status_code=303)


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    async with engine.begin() as conn:  # your migrations would do this
        await conn.run_sync(Base.metadata.create_all)
    async with sessions() as session:
        if await session.get(User, 1) is None:
            session.add(User(id=1, name="alice"))
            await session.commit()
    async with node.lifespan():  # starts dispatch and the live endpoints, stops them in order
        yield
    await engine.dispose()


app = Starlette(
    routes=[
        Route("/", home, name="home"),
        Route("/login/{user_id:int}", login),
        # The session cookie is SameSite=Lax: another site cannot make a browser POST with it.
        Route("/orders", place_order, methods=["POST"], name="place_order"),
        *live.routes(),
    ],
    middleware=[
        Middleware(LiveStreams, live=live),  # first: the live streams need no other middleware
        Middleware(SessionMiddleware, secret_key=SECRET, same_site="lax"),
    ],
    lifespan=lifespan,
)
