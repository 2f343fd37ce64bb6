"""The demo application: `create_app()` wires liveui into an ordinary Starlette app.

`app` at module level serves `uvicorn demo.app:app` and `liveui gen ts --app demo.app:app`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from liveui import (
    AuthClaims,
    Dispatch,
    DispatchSettings,
    Endpoint,
    LiveStreams,
    LiveUI,
    Node,
    Presence,
    RequestSizeLimit,
    Revocations,
    SqlRevocationStore,
    UserChannel,
    dev_panel_routes,
    metrics_app,
    static_dir,
)

from . import pages, ticket_form
from .auth import LoginThrottle
from .components import OnlineInChat
from .config import DemoConfig
from .db import make_async_engine, make_sessionmaker
from .models import Activity, Base, CartItem, Notification, Order, ResellerRequest, Ticket, User
from .operators import admin_by_id, may_read_metrics
from .security import MAX_BODY, SecurityHeaders
from .seed import seed
from .simulation import Simulator
from .sockets import UserSocket, default_channels

__all__ = ["create_app"]  # and `app`, built on first access (see __getattr__ below)

log = logging.getLogger("demo")

HERE = Path(__file__).resolve().parent


class DemoUserChannel(UserChannel):
    """The seed's three-line UserChannel: every default kept."""


def create_app(config: DemoConfig | None = None) -> Starlette:
    config = config or DemoConfig.from_env()
    engine = make_async_engine(config.database_url)
    sessions = make_sessionmaker(engine)
    # Logouts and "log out everywhere" are kept in the demo's database: they survive restarts.
    revocations = Revocations(SqlRevocationStore(engine))
    node = Node(pubsub_url=config.pubsub_url, revocations=revocations)
    endpoint = Endpoint(node)
    dispatch = Dispatch(
        DispatchSettings(
            models=[Order, CartItem, Ticket, ResellerRequest, Activity],
            user_model=User,
            audiences={"admin": User.is_admin.is_(True)},
            notification_model=Notification,
        ),
        node=node,
        engine=engine,
    )
    dispatch.install(sessions)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    live = LiveUI(
        node=node,
        dispatch=dispatch,
        secret_key=config.secret_key,
        transport=config.transport,
        get_user_id=pages.live_user_id,
        get_login=_login_of,
    )
    live.install_templates(templates)
    pages.install_live_actions(live)
    ticket_form.install_ticket_form(live, config.data_dir)
    presence = Presence(node)  # "who is online" in the chat rooms, across nodes
    OnlineInChat.presence = presence
    channels = default_channels(DemoUserChannel, presence=presence, dispatch=dispatch)
    socket = UserSocket(config.secret_key, sessions, channels, revocations)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        if await seed(sessions, dispatch):
            log.info("seeded users alice, bob, carol and admin (password: demo)")
        async with node.lifespan():  # hub, ticker, dispatch, channels, live: in order
            try:
                yield
            finally:
                await app.state.simulator.stop()
        await engine.dispose()

    routes: list[Any] = [
        *pages.routes(),
        *ticket_form.routes(),
        *live.routes(static=False),
        endpoint.mount("/socket", socket),
        Route("/metrics", metrics_app(node, authorize=may_read_metrics)),
        *dev_panel_routes(live, path="/admin/liveui", is_admin=admin_by_id(sessions)),
        Mount("/static/liveui", app=StaticFiles(directory=str(static_dir())), name="liveui-static"),
        Mount("/static/demo", app=StaticFiles(directory=str(HERE / "static")), name="demo-static"),
        Mount(
            "/spa/assets",
            app=StaticFiles(directory=str(pages.SPA_DIST / "assets"), check_dir=False),
            name="spa-assets",
        ),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            # The live streams ahead of the rest: they need none of it (docs/live.md).
            Middleware(LiveStreams, live=live),
            Middleware(SecurityHeaders, https=config.https),
            # before any body is parsed; the ticket form's paths may carry an attachment
            Middleware(RequestSizeLimit, max_body=MAX_BODY,
                       limits=ticket_form.upload_limits(live.settings.prefix)),
            Middleware(
                SessionMiddleware,
                secret_key=config.secret_key,
                same_site="lax",
                https_only=config.https,  # the Secure attribute
                session_cookie="demo_session",
            ),
        ],
        lifespan=lifespan,
        exception_handlers=pages.EXCEPTION_HANDLERS,
    )
    app.state.config = config
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.node = node
    app.state.endpoint = endpoint
    app.state.dispatch = dispatch
    app.state.live = live
    app.state.templates = templates
    app.state.simulator = Simulator(sessions, dispatch)
    app.state.login_throttle = LoginThrottle()
    return app


def _login_of(request: Any) -> AuthClaims | None:
    raw = request.session.get("login") if "session" in request.scope else None
    return AuthClaims.from_json(raw) if raw is not None else None


def __getattr__(name: str) -> Any:
    # `demo.app:app` is built on first access, so importing the module has no side effects.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
