"""`LiveUI`: the integration object that adds live components to a Starlette app.

    endpoint = Endpoint()
    dispatch = Dispatch(settings, engine=engine, endpoint=endpoint)
    live = LiveUI(endpoint=endpoint, dispatch=dispatch, secret_key=SECRET,
                  get_user_id=lambda request: request.session.get("user_id"))
    templates = Jinja2Templates("templates")
    live.install_templates(templates)

    async def home(request):
        await live.prepare(request)                 # loads counters + notifications once
        return templates.TemplateResponse(request, "home.html")

    app = Starlette(routes=[*live.routes(), Route("/", home)], lifespan=live.lifespan)
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from .._utils import maybe_await
from ..channels.endpoint import Endpoint
from .component import LiveComponent
from .context import LiveContext
from .contract import DispatchLike
from .page import LivePage
from .paths import check_assets, static_dir
from .registry import SessionRegistry
from .render import Renderer, live_environment
from .settings import LiveSettings, TransportName
from .token import LiveToken, make_token, read_token

__all__ = ["LiveUI"]


class LiveUI:
    def __init__(
        self,
        *,
        endpoint: Endpoint,
        secret_key: str,
        get_user_id: Callable[[Request], Any],
        dispatch: DispatchLike | None = None,
        transport: TransportName | None = None,
        settings: LiveSettings | None = None,
        templates: Any = None,
    ) -> None:
        if not secret_key:
            raise ValueError("liveui: LiveUI needs a secret_key to sign live-session tokens")
        settings = settings or LiveSettings()
        if transport is not None and transport != settings.transport:
            settings = dataclasses.replace(settings, transport=transport)
        self.endpoint = endpoint
        self.dispatch = dispatch
        self.secret_key = secret_key
        self.get_user_id = get_user_id
        self.settings = settings
        self.registry = SessionRegistry(self)
        self.renderer = Renderer(live_environment(None), cache_size=settings.render_cache_size)
        self._set_globals(self.renderer.env)
        endpoint.ticker.add(self.registry.check)
        if templates is not None:
            self.install_templates(templates)

    # templates -------------------------------------------------------------------------------
    def install_templates(self, templates: Any) -> jinja2.Environment:
        """Add the tags to a Starlette `Jinja2Templates` or a `jinja2.Environment`."""
        from ..templating import install_templates

        return install_templates(templates, self)

    def use_environment(self, env: jinja2.Environment) -> None:
        """Render components with the app's environment (its templates override liveui's)."""
        self.renderer = Renderer(live_environment(env), cache_size=self.settings.render_cache_size)
        self._set_globals(self.renderer.env)

    def _set_globals(self, env: jinja2.Environment) -> None:
        env.globals["liveui_event_url"] = self.url("event")

    def url(self, name: str) -> str:
        return f"{self.settings.prefix.rstrip('/')}/{name}"

    # data ------------------------------------------------------------------------------------
    def context(self, user_id: Any, *, session: Any = None) -> LiveContext:
        return LiveContext(
            user_id,
            self.dispatch,
            endpoint=self.endpoint,
            session=session,
            notification_limit=self.settings.notification_limit,
        )

    async def prepare(
        self,
        request: Request,
        *components: LiveComponent,
        notification_limit: int | None = None,
    ) -> LivePage:
        """Load what this page's live tags show, once; store it on `request.state.liveui_page`.

        Pass your own components to mount them for first paint; render them with
        `{{ live_component(name, **params) }}`.
        """
        user_id = await maybe_await(self.get_user_id(request))
        if user_id is None:
            page = LivePage(user_id=None)
        else:
            limit = notification_limit or self.settings.notification_limit
            session_id, token = make_token(self.secret_key, user_id)
            ctx = self.context(user_id)
            ctx.notification_limit = limit
            if self.dispatch is not None:
                await asyncio.gather(ctx.counters(), ctx.notifications(limit))
            for component in components:
                await component.mount(ctx)
            page = LivePage(
                user_id=user_id,
                session_id=session_id,
                token=token,
                counters=ctx.loaded_counters,
                notifications=ctx.loaded_notifications,
                notification_limit=limit,
                components={c.id: c for c in components},
            )
        request.state.liveui_page = page
        return page

    def read_token(self, token: str | None) -> LiveToken:
        """Who a token belongs to; raises TokenMissing / TokenInvalid / TokenExpired."""
        return read_token(self.secret_key, token, max_age=self.settings.token_max_age)

    # serving ---------------------------------------------------------------------------------
    def routes(self, *, static: bool = True) -> list[BaseRoute]:
        """The SSE and WebSocket endpoints, the action endpoint and (unless `static=False`,
        when the app serves `static_dir()` itself) the static files at `static_url`."""
        from .actions import event_endpoint
        from .sse import sse_endpoint
        from .websocket import websocket_endpoint

        async def sse(request: Request) -> Any:
            return await sse_endpoint(self, request)

        async def event(request: Request) -> Any:
            return await event_endpoint(self, request)

        async def ws(websocket: Any) -> None:
            await websocket_endpoint(self, websocket)

        routes: list[BaseRoute] = [
            Route(self.url("sse"), sse, methods=["GET"], name="liveui-sse"),
            WebSocketRoute(self.url("ws"), ws, name="liveui-ws"),
            Route(self.url("event"), event, methods=["POST"], name="liveui-event"),
        ]
        if static:
            files = StaticFiles(directory=static_dir())
            routes.append(Mount(self.settings.static_url, app=files, name="liveui"))
        return routes

    async def start(self) -> None:
        """Start the endpoint; after a pub/sub outage the hub resyncs every session."""
        check_assets()  # logs an ERROR naming any missing browser file (docs/packaging.md)
        hub = self.endpoint.hub
        hub.remove_resync(self.registry.resync_all)  # start() twice registers once
        hub.on_resync(self.registry.resync_all)
        await self.endpoint.start()

    async def stop(self) -> None:
        self.endpoint.hub.remove_resync(self.registry.resync_all)
        self.registry.close_all("server shutting down")
        await self.endpoint.stop()

    @contextlib.asynccontextmanager
    async def lifespan(self, app: object = None) -> AsyncIterator[None]:
        """Starts the endpoint (hub + shared ticker); closes every live session on shutdown."""
        await self.start()
        try:
            yield
        finally:
            await self.stop()
