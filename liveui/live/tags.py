"""Jinja2 integration: the live template tags, installed in one call.

    live.install_templates(templates)       # a Starlette Jinja2Templates, or
    install_templates(env, live)             # a plain jinja2.Environment

adds these globals (each reads the page that `await live.prepare(request)` loaded, from
`request.state.liveui_page` or a `liveui_page` template variable):

    {{ liveui_head() }}                      scripts, stylesheet, connection URL and token
    {{ live_badge(name, label=None, hide_zero=False) }}
    {{ live_metric(name, format="money", currency="USD", locale=None, places=None, empty="—") }}
    {{ notification_dropdown(limit=10) }}
    {{ live_component(name, **params) }}     your own component, mounted by prepare()
    {% set v = live_view(name, **params) %}  its view (docs/view-params.md), for the controls:
    <form method="get" {{ v.attrs }}><select name="status">...{{ v.status }}...</form>

liveui's default templates (`liveui/*.html`) are found after the app's own loader, so a file of
the same name in the app's templates folder overrides one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import jinja2
from markupsafe import Markup, escape

from ..errors import SpecError
from .badge import LiveBadge
from .component import component_type
from .dropdown import NotificationDropdown
from .metric import LiveMetric
from .page import LivePage

if TYPE_CHECKING:
    from .live_settings import LiveSettings
    from .render import Renderer

__all__ = ["TagHost", "ViewControls", "install_templates", "page_head"]


class ViewControls:
    """A mounted component's view for its controls: `v.attrs` marks a form as the controls of
    that component (liveui.js sends its changes to the server), `v.status` / `v["q"]` is the
    current value of a param (its default included)."""

    def __init__(self, target: str, values: Mapping[str, str]) -> None:
        self.target = target
        self.values = dict(values)

    @property
    def attrs(self) -> Markup:
        return Markup(f'data-live-view-for="{escape(self.target)}"')

    def __getitem__(self, name: str) -> str:
        return self.values.get(name, "")

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.values.get(name, "")


class TagHost(Protocol):
    """What the tags ask of the `LiveUI` they were installed for (it imports this module, so
    this module names it by shape)."""

    @property
    def settings(self) -> LiveSettings: ...
    @property
    def renderer(self) -> Renderer: ...
    def url(self, name: str) -> str: ...
    def use_environment(self, env: jinja2.Environment) -> None: ...
    def check_counter_name(self, name: str, tag: str) -> bool: ...
    def check_aggregate_name(self, name: str, tag: str) -> bool: ...
    def misnamed(self, message: str, *, key: str) -> None: ...


def install_templates(templates: Any, live: TagHost) -> jinja2.Environment:
    env = templates
    if not isinstance(env, jinja2.Environment):
        env = getattr(templates, "env", None)
    if not isinstance(env, jinja2.Environment):
        raise TypeError("install_templates needs a Jinja2Templates or a jinja2.Environment")
    live.use_environment(env)
    tags = _Tags(live)
    env.globals.update(
        liveui_head=tags.head,
        live_badge=tags.badge,
        live_metric=tags.metric,
        notification_dropdown=tags.dropdown,
        live_component=tags.component,
        live_view=tags.view,
    )
    return env


def _page(context: Any) -> LivePage:
    page = context.get("liveui_page")
    if page is None:
        request = context.get("request")
        page = getattr(getattr(request, "state", None), "liveui_page", None)
    if not isinstance(page, LivePage):
        raise RuntimeError(
            "liveui: this template uses live tags; call `await live.prepare(request)` before "
            "rendering it (or pass liveui_page=await live.prepare(request))"
        )
    return page


def _root_path(context: Any) -> str:
    request = context.get("request")
    scope = getattr(request, "scope", None)
    root = scope.get("root_path", "") if isinstance(scope, dict) else ""
    return str(root).rstrip("/")


def _with_context(method: Callable[..., Markup]) -> Callable[..., Markup]:
    """A template global that receives the render context first (bound methods cannot)."""

    def tag(context: Any, *args: Any, **kwargs: Any) -> Markup:
        return method(context, *args, **kwargs)

    tag.__name__ = method.__name__.lstrip("_")
    return jinja2.pass_context(tag)


def _placeholder(kind: str, name: str) -> Markup:
    """What a tag naming an unknown counter or component renders: nothing visible, but
    findable (`[data-liveui-unknown]`) by whoever inspects the page."""
    return Markup('<span class="liveui-unknown" data-liveui-unknown="{}" hidden></span>').format(
        f"{kind}:{name}"
    )


def page_head(live: TagHost, request: Any) -> Markup:
    """What `{{ liveui_head() }}` writes, for a page liveui renders itself (the dev panel);
    `live.prepare(request, ...)` must have run."""
    return _Tags(live).head({"request": request})


class _Tags:
    def __init__(self, live: TagHost) -> None:
        self.live = live
        self.head = _with_context(self._head)
        self.badge = _with_context(self._badge)
        self.metric = _with_context(self._metric)
        self.dropdown = _with_context(self._dropdown)
        self.component = _with_context(self._component)
        view = self._view

        def live_view(context: Any, name: str, **params: Any) -> ViewControls:
            return view(context, name, **params)

        self.view = jinja2.pass_context(live_view)

    def _render(self, template: str, **context: Any) -> Markup:
        return Markup(self.live.renderer.env.get_template(template).render(**context))

    def _head(self, context: Any) -> Markup:
        page = _page(context)
        live = self.live
        # Mounted under a prefix (Mount("/desk", app), a root_path behind a proxy): every URL
        # the page uses starts with it; liveui.js adds it to the live actions' URLs too.
        root = _root_path(context)
        return self._render(
            "liveui/head.html",
            page=page,
            settings=live.settings,
            static=root + live.settings.static_url.rstrip("/"),
            sse_url=root + live.url("sse"),
            ws_url=root + live.url("ws"),
            event_url=root + live.url("event"),
            prefix=live.settings.prefix.rstrip("/"),
            root=root,
        )

    def _badge(
        self,
        context: Any,
        name: str,
        label: str | None = None,
        hide_zero: bool = False,
        id: str | None = None,
    ) -> Markup:
        page = _page(context)
        if page.anonymous:
            return Markup("")
        if not self.live.check_counter_name(name, "live_badge"):
            return _placeholder("counter", name)
        badge = LiveBadge(name, label=label, hide_zero=hide_zero, id=id)
        unique = page.unique_id(badge.id)
        if unique != badge.id:  # the same counter twice on the page: patch both elements
            badge = LiveBadge(name, label=label, hide_zero=hide_zero, id=unique)
        badge.set_from(page.counters)
        return Markup(badge.render(self.live.renderer))

    def _metric(
        self,
        context: Any,
        name: str,
        format: str = "decimal",
        currency: str = "USD",
        locale: str | None = None,
        places: int | None = None,
        empty: str | int = "—",
        label: str | None = None,
        id: str | None = None,
    ) -> Markup:
        page = _page(context)
        if page.anonymous:
            return Markup("")
        if not self.live.check_aggregate_name(name, "live_metric"):
            return _placeholder("aggregate", name)
        options: dict[str, Any] = {"format": format, "currency": currency, "locale": locale,
                                   "places": places, "empty": empty, "label": label}
        metric = LiveMetric(name, id=id, **options)
        unique = page.unique_id(metric.id)
        if unique != metric.id:  # the same aggregate twice on the page: patch both elements
            metric = LiveMetric(name, id=unique, **options)
        metric.set_from(page.aggregates)
        return Markup(metric.render(self.live.renderer))

    def _dropdown(self, context: Any, limit: int = 10, id: str | None = None) -> Markup:
        page = _page(context)
        if page.anonymous:
            return Markup("")
        if limit > page.notification_limit:
            raise RuntimeError(
                f"liveui: notification_dropdown(limit={limit}) needs "
                f"`await live.prepare(request, notification_limit={limit})`"
            )
        dropdown = NotificationDropdown(limit=limit, id=id)
        dropdown.set_from(page.notifications)
        bell = LiveBadge("unread_notifications", hide_zero=True, id=f"{dropdown.id}-count")
        bell.set_from(page.counters)
        renderer = self.live.renderer
        return Markup(dropdown.render(renderer, bell_badge=bell.render(renderer)))

    def _component(self, context: Any, name: str, **params: Any) -> Markup:
        page = _page(context)
        if page.anonymous:
            return Markup("")
        try:
            kind = component_type(name)
        except SpecError as exc:
            self.live.misnamed(f"live_component: {exc}", key=f"component:{name}")
            return _placeholder("component", name)
        wanted = kind(**params)
        mounted = page.components.get(wanted.id)
        if mounted is None:
            raise RuntimeError(
                f"liveui: live_component({name!r}, ...) was not mounted; pass it to "
                f"`await live.prepare(request, {type(wanted).__name__}(...))`"
            )
        return Markup(mounted.render(self.live.renderer))

    def _view(self, context: Any, name: str, **params: Any) -> ViewControls:
        page = _page(context)
        wanted = component_type(name)(**params)
        mounted = page.components.get(wanted.id, wanted)
        return ViewControls(mounted.id, mounted.view)
