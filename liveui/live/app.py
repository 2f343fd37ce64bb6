"""`LiveUI`: the integration object that adds live components to a Starlette app.

    node = Node()
    dispatch = Dispatch(settings, node=node, engine=engine)
    live = LiveUI(node=node, dispatch=dispatch, secret_key=SECRET,
                  get_user_id=lambda request: request.session.get("user_id"),
                  get_login=lambda request: AuthClaims.from_json(request.session["login"]))
    templates = Jinja2Templates("templates")
    live.install_templates(templates)

    async def home(request):
        await live.prepare(request)                 # loads counters + notifications once
        return templates.TemplateResponse(request, "home.html")

    app = Starlette(routes=[*live.routes(), Route("/", home)], lifespan=node.lifespan)
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from .._utils import did_you_mean, maybe_await
from ..auth.claims import AuthClaims
from ..auth.revocations import Revocation
from ..close_codes import CloseCode
from ..errors import ConfigurationError, Forbidden
from ..node import Node, Stage
from ..tokens import check_secret, weak_secret
from ..user_events import UserDataSource
from .app_actions import ActionHandler, action_attrs, flash_html
from .collection_feed import CollectionFeed
from .component import LiveComponent, authorized
from .context import LiveContext
from .form import Form
from .form_endpoint import FormHandler, RegisteredForm
from .form_tags import form_globals
from .gate import Gate
from .live_settings import LiveSettings, TransportName
from .page import LivePage
from .paths import check_assets, static_dir
from .render import Renderer, live_environment
from .session import LiveSession
from .session_registry import SessionRegistry
from .session_token import LiveToken, SessionTokens
from .uploads import sweep_stale_uploads

__all__ = ["LiveUI"]

log = logging.getLogger("liveui.live")

SSE_TAB_LIMIT = (
    "liveui: live transport 'sse': over HTTP/1.1 every open tab holds one of the six "
    "connections a browser allows per host, so a seventh tab of one browser (and every action "
    "in the others) waits until a tab closes. Serve the app over HTTP/2, or use the default "
    "transport 'ws' (docs/many-tabs.md)."
)
"""Logged once at start-up when the live transport is SSE."""

DEBUG_SECRET = (
    "liveui: LiveUI(debug=True) accepts this secret_key, but it is a well-known default or "
    "shorter than 32 characters: anyone can sign live-session tokens for any user with it. "
    "Never deploy with it; read a generated one from the environment instead "
    "(`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)."
)
"""Logged when `debug=True` lets a weak secret through."""

NO_TEMPLATES = (
    "liveui: live.prepare() ran, but no templates were given the live tags, so a template "
    "using them fails with \"'liveui_head' is undefined\": pass templates=Jinja2Templates(...) "
    "to LiveUI(...), or call live.install_templates(templates) once at start-up"
)
"""Logged once when a page is prepared before any app templates were installed."""


class LiveUI:
    def __init__(
        self,
        *,
        node: Node,
        secret_key: str,
        get_user_id: Callable[[Request], Any],
        get_login: Callable[[Request], Any] | None = None,
        dispatch: UserDataSource | None = None,
        transport: TransportName | None = None,
        settings: LiveSettings | None = None,
        templates: Any = None,
        debug: bool = False,
    ) -> None:
        if not secret_key:
            raise ValueError("liveui: LiveUI needs a secret_key to sign live-session tokens")
        # Development mode: any non-empty secret will do, and template mistakes raise.
        self.debug = debug
        try:
            check_secret(secret_key, debug=debug)
        except ConfigurationError as exc:
            raise ConfigurationError(f"liveui: LiveUI(secret_key=...): {exc}") from None
        if debug and weak_secret(secret_key):
            log.warning(DEBUG_SECRET)
        settings = settings or LiveSettings()
        if settings.token_max_age > node.revocations.retain:
            raise ConfigurationError(
                "liveui: LiveSettings.token_max_age is longer than the node's revocations are "
                "kept (Revocations(retain=...)): a revoked token could outlive its revocation"
            )
        if transport is not None and transport != settings.transport:
            settings = dataclasses.replace(settings, transport=transport)
        self.node = node
        self.dispatch = dispatch
        self.get_user_id = get_user_id
        self.get_login = get_login
        """`request` -> the `AuthClaims` of its login (or None); live tokens are bound to it, so
        revoking that login ends the page's live session. Without it, each page is bound to a
        login of its own, ended only by `revoke_user`."""
        self.settings = settings
        self.tokens = SessionTokens(secret_key, settings.token_max_age, node.revocations)
        self._warned_names: set[str] = set()
        self._root_path: str | None = None
        self._root_warned = False
        self._templates_installed = templates is not None
        self.renderer = Renderer(live_environment(None), cache_size=settings.render_cache_size)
        self.actions: dict[str, ActionHandler] = {}
        self.forms: dict[str, RegisteredForm] = {}
        self.feed = CollectionFeed(
            node.hub, lambda: self.dispatch.collections if self.dispatch is not None else None
        )
        self.registry = SessionRegistry(node.hub, self.renderer, settings, self._session_context)
        self._set_globals(self.renderer.env)
        node.ticker.add(self.registry.check)
        self.gate = Gate(self.registry, self.tokens, settings, node.revocations, self.actions)
        node.ticker.add(self.gate.forget_budgets)
        node.attach(self, Stage.VIEW)
        if templates is not None:
            self.install_templates(templates)

    # templates -------------------------------------------------------------------------------
    def install_templates(self, templates: Any) -> jinja2.Environment:
        """Add the tags to a Starlette `Jinja2Templates` or a `jinja2.Environment`."""
        from .tags import install_templates

        return install_templates(templates, self)

    def use_environment(self, env: jinja2.Environment) -> None:
        """Render components with the app's environment (its templates override liveui's)."""
        self._templates_installed = True
        self.renderer.use_environment(live_environment(env))
        self._set_globals(self.renderer.env)

    def _set_globals(self, env: jinja2.Environment) -> None:
        event_url = self.url("event")
        env.globals["liveui_event_url"] = event_url

        @jinja2.pass_context
        def app_url(context: Any, path: str) -> str:
            return self.app_url(path, context.get("request"))

        env.globals["app_url"] = app_url

        def live_action(name: str, **fields: Any) -> Markup:
            return action_attrs(event_url, name, **fields)

        def live_flash(message: str | None = None, kind: str = "info") -> Markup:
            return Markup(flash_html(self.renderer, message, kind))

        env.globals["live_action"] = live_action
        env.globals["live_flash"] = live_flash
        env.globals.update(form_globals(self.forms, self.url("form"), lambda: self.renderer))

    # actions ---------------------------------------------------------------------------------
    def action(self, name: str) -> Callable[[ActionHandler], ActionHandler]:
        """Register a live action (see `app_actions`): a decorator.

            @live.action("cancel_order")
            async def cancel_order(request, user_id, fields): ...
        """

        def register(handler: ActionHandler) -> ActionHandler:
            if name in self.actions:
                raise ValueError(f"liveui: a live action named {name!r} is already registered")
            self.actions[name] = handler
            return handler

        return register

    def form(
        self, form: Form, *, upload_dir: str | os.PathLike[str] | None = None
    ) -> Callable[[FormHandler], FormHandler]:
        """Register a live form and the handler its valid submits run (docs/forms.md):

            @live.form(Form("open_ticket", TextField("subject", min_length=3)))
            async def open_ticket(request, user_id, values): ...   # -> the flash message

        Uploads are streamed into `upload_dir` (default: the system's temporary folder, which
        should be on the same file system as where the handler keeps files, for atomic moves).
        """

        def register(handler: FormHandler) -> FormHandler:
            if form.name in self.forms:
                raise ValueError(f"liveui: a live form named {form.name!r} is already registered")
            folder = Path(upload_dir) if upload_dir is not None else None
            if folder is not None and folder.is_dir():
                sweep_stale_uploads(folder)  # left by a process that died mid-upload
            self.forms[form.name] = RegisteredForm(form, handler, folder)
            return handler

        return register

    def url(self, name: str) -> str:
        return f"{self.settings.prefix.rstrip('/')}/{name}"

    # the app's own URLs under a mount --------------------------------------------------------
    def app_url(self, path: str, request: Any = None) -> str:
        """`path` of the app (`"/tickets/2/close"`) as the browser must ask for it: behind the
        prefix the app is mounted under (`Mount("/desk", app)`, a proxy's `root_path`). In
        templates: `{{ app_url("/tickets/2/close") }}`. Absolute URLs, protocol-relative ones
        and relative paths come back unchanged.

        The prefix is the request's `root_path`; a render without a request (a live patch, a
        row or a notification shared by many pages) uses the one this app was last served
        under (`root_path`)."""
        if not isinstance(path, str) or not path.startswith("/") or path.startswith("//"):
            return path
        scope = getattr(request, "scope", None)
        if isinstance(scope, dict):
            root = str(scope.get("root_path", "")).rstrip("/")
        else:
            root = self.root_path
        return root + path

    @property
    def root_path(self) -> str:
        """The prefix this app is mounted under, as learned from the requests it serves (pages
        it prepared, live connections); "" until the first one, or when it is not mounted."""
        return self._root_path or ""

    def learn_root_path(self, scope: Any) -> None:
        """Remember the `root_path` of a request to this app (for renders without a request)."""
        root = str(scope.get("root_path", "")).rstrip("/")
        if root == self._root_path:
            return
        if self._root_path is not None and not self._root_warned:
            self._root_warned = True
            log.warning(
                "liveui: this LiveUI is served under two prefixes (%r, then %r); app_url() in "
                "live patches follows the latest: give each mount its own LiveUI",
                self._root_path, root,
            )
        self._root_path = root

    def check_counter_name(self, name: str, tag: str) -> bool:
        """Whether `name` is a declared counter (True when there is no dispatch to ask). An
        undeclared one is a template mistake: see `misnamed`."""
        known = self.dispatch.counter_names if self.dispatch is not None else None
        if known is None or name in known:
            return True
        self.misnamed(
            f"{tag}({name!r}) names no declared counter{did_you_mean(name, known)}; declared "
            f"counters: {', '.join(sorted(known)) or '(none)'}",
            key=f"counter:{name}",
        )
        return False

    def misnamed(self, message: str, *, key: str) -> None:
        """A template names a counter or component that does not exist. Every such mistake
        fails the same way: with `LiveUI(debug=True)` it raises `ConfigurationError`; otherwise
        it is logged once per name and the tag renders an empty, inert placeholder (a page is
        never a 500 for a typo in one tag)."""
        if self.debug:
            raise ConfigurationError(f"liveui: {message}")
        if key not in self._warned_names:
            self._warned_names.add(key)
            log.warning("liveui: %s; the tag renders an empty placeholder", message)

    def check_aggregate_name(self, name: str, tag: str) -> bool:
        """Whether `name` is a declared aggregate (True when there is no dispatch to ask); an
        undeclared one is a template mistake like a misspelled counter: see `misnamed`."""
        known = self.dispatch.aggregate_names if self.dispatch is not None else None
        if known is None or name in known:
            return True
        self.misnamed(
            f"{tag}({name!r}) names no declared aggregate{did_you_mean(name, known)}; declared "
            f"aggregates: {', '.join(sorted(known)) or '(none)'}",
            key=f"aggregate:{name}",
        )
        return False

    # data ------------------------------------------------------------------------------------
    def context(self, user_id: Any, *, session: LiveSession | None = None) -> LiveContext:
        return LiveContext(
            user_id,
            self.dispatch,
            session=session,
            notification_limit=self.settings.notification_limit,
            feed=self.feed,
            node=self.node,
        )

    def _session_context(self, user_id: Any, session: LiveSession | None) -> LiveContext:
        return self.context(user_id, session=session)

    async def prepare(
        self,
        request: Request,
        *components: LiveComponent,
        notification_limit: int | None = None,
    ) -> LivePage:
        """Load what this page's live tags show, once; store it on `request.state.liveui_page`.

        Pass your own components to mount them for first paint; render them with
        `{{ live_component(name, **params) }}`. Each must pass its `authorize(ctx)` first:
        one refused raises `Forbidden` (the page shows something its user may not see).
        """
        if not self._templates_installed:
            self._templates_installed = True  # said once
            log.warning(NO_TEMPLATES)
        self.learn_root_path(request.scope)
        user_id = await maybe_await(self.get_user_id(request))
        auth = await self._login_of(request, user_id)
        if user_id is None or auth is None:
            page = LivePage(user_id=None)
        else:
            limit = notification_limit or self.settings.notification_limit
            session_id, token = self.tokens.make(auth)
            ctx = self.context(user_id)
            ctx.notification_limit = limit
            if self.dispatch is not None:
                loads = [ctx.counters(), ctx.notifications(limit)]
                if self.dispatch.aggregate_names:
                    loads.append(ctx.aggregates())
                await asyncio.gather(*loads)
            for component in components:
                if not await authorized(component, ctx):
                    raise Forbidden(f"the component {component.name!r} is not allowed for "
                                    f"user {user_id!r}")
                await component.mount(ctx)
            page = LivePage(
                user_id=user_id,
                session_id=session_id,
                token=token,
                counters=ctx.loaded_counters,
                notifications=ctx.loaded_notifications,
                notification_limit=limit,
                components={c.id: c for c in components},
                aggregates=ctx.loaded_aggregates,
            )
        request.state.liveui_page = page
        return page

    async def _login_of(self, request: Request, user_id: Any) -> AuthClaims | None:
        revocations = self.node.revocations
        if user_id is None:
            return None
        if self.get_login is None:
            return revocations.login(user_id)
        try:
            auth = await maybe_await(self.get_login(request))
        except Exception:  # no login in the session, or an unreadable one
            auth = None
        if not isinstance(auth, AuthClaims) or auth.user_key != str(user_id):
            return None
        return None if revocations.is_revoked(auth) else auth

    def read_token(self, token: str | None) -> LiveToken:
        """Who a token belongs to; raises TokenMissing / TokenInvalid / TokenExpired."""
        return self.tokens.read(token)

    # serving ---------------------------------------------------------------------------------
    def routes(self, *, static: bool = True) -> list[BaseRoute]:
        """The SSE and WebSocket endpoints, the action, status, pause and resume endpoints and
        (unless `static=False`,
        when the app serves `static_dir()` itself) the static files at `static_url`."""
        from .actions import event_endpoint
        from .connection_status import status_endpoint
        from .form_endpoint import form_endpoint
        from .sse import SSEApp
        from .visibility import visibility_endpoint
        from .websocket import websocket_endpoint

        gate = self.gate
        learn = self.learn_root_path

        async def event(request: Request) -> Any:
            learn(request.scope)
            return await event_endpoint(request, gate)

        async def ws(websocket: Any) -> None:
            learn(websocket.scope)
            await websocket_endpoint(websocket, gate)

        async def form(request: Request) -> Any:
            return await form_endpoint(request, gate, self.forms, self.renderer)

        async def status(request: Request) -> Any:
            return await status_endpoint(request, gate)

        async def pause(request: Request) -> Any:
            return await visibility_endpoint(request, gate, paused=True)

        async def resume(request: Request) -> Any:
            return await visibility_endpoint(request, gate, paused=False)

        routes: list[BaseRoute] = [
            Route(self.url("sse"), _LearnsRoot(SSEApp(gate), learn), methods=["GET"],
                  name="liveui-sse"),
            WebSocketRoute(self.url("ws"), ws, name="liveui-ws"),
            Route(self.url("event"), event, methods=["POST"], name="liveui-event"),
            Route(self.url("form"), form, methods=["POST"], name="liveui-form"),
            Route(self.url("status"), status, methods=["GET"], name="liveui-status"),
            Route(self.url("pause"), pause, methods=["POST"], name="liveui-pause"),
            Route(self.url("resume"), resume, methods=["POST"], name="liveui-resume"),
        ]
        if static:
            files = StaticFiles(directory=static_dir())
            routes.append(Mount(self.settings.static_url, app=files, name="liveui"))
        return routes

    # lifecycle (driven by the node) ----------------------------------------------------------
    async def start(self) -> None:
        """After a pub/sub outage the hub resyncs every live session of this node."""
        check_assets()  # logs an ERROR naming any missing browser file (docs/packaging.md)
        if self.settings.transport == "sse":
            log.warning(SSE_TAB_LIMIT)
        hub = self.node.hub
        hub.remove_resync(self.registry.resync_all)  # start() twice registers once
        hub.on_resync(self.registry.resync_all)
        self.node.revocations.on_revoke(self._revoked)
        self.registry.running = True

    def _revoked(self, revocation: Revocation) -> None:
        self.registry.revoked(revocation)

    async def stop(self) -> None:
        self.registry.running = False
        self.node.revocations.remove_listener(self._revoked)
        self.node.hub.remove_resync(self.registry.resync_all)
        self.registry.close_all("server shutting down", CloseCode.RESTART)
        await self.feed.stop()


class _LearnsRoot:
    """An ASGI app that tells `learn` the `root_path` of each request, then runs `app` (a bare
    ASGI app stays one: Starlette would wrap a plain function as a request endpoint)."""

    __slots__ = ("app", "learn")

    def __init__(self, app: ASGIApp, learn: Callable[[Scope], None]) -> None:
        self.app = app
        self.learn = learn

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.learn(scope)
        await self.app(scope, receive, send)
