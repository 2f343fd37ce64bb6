"""`Renderer`: Jinja2 rendering of component templates with a small shared render cache.

Many sessions showing the same state need the same fragment; it is rendered once and the string
reused (bounded LRU). The key is the template name plus `cache_key(context)`, a hashable copy of
the context that keeps apart what renders differently: `Markup` from `str` (the one is inserted
as is, the other escaped), `True` from `1`, `1.0` from `1`. A component may instead give its
own key (`render_keyed`), so a hit costs neither building the context nor walking it. Templates
must not depend on who is looking beyond what is in their context (no per-user tokens in markup).
"""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import jinja2
from markupsafe import Markup

from .._utils import did_you_mean
from ..errors import ConfigurationError

__all__ = ["Renderer", "Uncacheable", "cache_key", "live_environment"]


class Uncacheable(Exception):
    """The context holds a value `cache_key` cannot key safely: render without the cache."""


# Immutable values whose type and equality say everything about how they render.
_VALUE_TYPES = (datetime.date, datetime.time, datetime.timedelta, decimal.Decimal, uuid.UUID)


def cache_key(value: Any) -> Hashable:
    """A hashable key equal for two values only if they render alike.

    `str` and `int` stand for themselves; anything else becomes a tuple led by its type, so a
    `Markup` never equals the plain string of the same text. An object may define
    `render_key()` (None: not cacheable); other types raise `Uncacheable`.
    """
    kind = type(value)
    if kind is str or kind is int:
        same: Hashable = value
        return same
    if kind is dict:
        return (dict, *[(k if type(k) is str else cache_key(k), cache_key(v))
                        for k, v in value.items()])
    if kind is Markup:
        return (Markup, value)
    if kind is list or kind is tuple:
        return (kind, *[cache_key(v) for v in value])
    if value is None or kind is bool:
        return (kind, value)
    if kind is float:
        return (float, repr(value))  # 0.0 and -0.0 are equal but render differently
    render_key = getattr(value, "render_key", None)
    if render_key is not None:
        key = render_key()
        if key is None:
            raise Uncacheable(kind.__name__)
        return (kind, key)
    if isinstance(value, (*_VALUE_TYPES, enum.Enum)):
        return (kind, value)
    if isinstance(value, Mapping):
        return (kind, *[(cache_key(k), cache_key(v)) for k, v in value.items()])
    raise Uncacheable(kind.__name__)


def live_environment(env: jinja2.Environment | None = None) -> jinja2.Environment:
    """An environment that finds liveui's templates and always escapes.

    With the app's environment, this is an overlay (same loader, globals and filters, the app's
    templates first) with autoescape forced on, because user-supplied text must never be markup.
    """
    from .paths import templates_dir

    package_loader = jinja2.FileSystemLoader(str(templates_dir()))
    if env is None:
        return jinja2.Environment(loader=package_loader, autoescape=True)
    if not _has_loader(env.loader, package_loader.searchpath[0]):
        # The app's loader first, so a file of the same name in its templates folder wins.
        loaders = [env.loader] if env.loader is not None else []
        env.loader = jinja2.ChoiceLoader([*loaders, package_loader])
    return env.overlay(autoescape=True)


def _has_loader(loader: jinja2.BaseLoader | None, path: str) -> bool:
    if isinstance(loader, jinja2.ChoiceLoader):
        return any(_has_loader(inner, path) for inner in loader.loaders)
    return isinstance(loader, jinja2.FileSystemLoader) and path in loader.searchpath


class Renderer:
    def __init__(self, env: jinja2.Environment, *, cache_size: int = 2048) -> None:
        self.env = env
        self._cache: OrderedDict[Hashable, str] = OrderedDict()
        self._cache_size = cache_size
        self.hits = 0
        self.misses = 0

    def use_environment(self, env: jinja2.Environment) -> None:
        """Render with `env` from now on (the app's templates override liveui's)."""
        self.env = env
        self._cache.clear()

    def template(self, name: str) -> jinja2.Template:
        try:
            return self.env.get_template(name)
        except jinja2.TemplateNotFound as exc:
            if exc.name != name:  # the template exists; something it includes does not
                raise
            raise ConfigurationError(
                f"liveui: template {name!r} not found{did_you_mean(name, self._names())} "
                "(searched the app's templates, then liveui's own): create it, or fix the "
                "component's `template`"
            ) from None

    def _names(self) -> list[str]:
        try:
            return self.env.list_templates()
        except TypeError:  # a loader that cannot list its templates
            return []

    def render(self, template: str, **context: Any) -> str:
        try:
            key = (template, cache_key(context))
        except Uncacheable:
            return self.template(template).render(**context)
        html = self._hit(key)
        return html if html is not None else self._miss(key, template, context)

    def render_keyed(
        self, template: str, key: Hashable, context: Callable[[], dict[str, Any]]
    ) -> str:
        """Render `template` with `context()`, cached under `key`, which the caller vouches
        determines the HTML (every input of the context, with `cache_key`'s distinctions)."""
        full = (template, key)
        html = self._hit(full)
        return html if html is not None else self._miss(full, template, context())

    def _hit(self, key: Hashable) -> str | None:
        html = self._cache.get(key)
        if html is not None:
            self._cache.move_to_end(key)
            self.hits += 1
        return html

    def _miss(self, key: Hashable, template: str, context: dict[str, Any]) -> str:
        self.misses += 1
        html = self.template(template).render(**context)
        cache = self._cache
        cache[key] = html
        if len(cache) > self._cache_size:
            cache.popitem(last=False)
        return html

    def clear(self) -> None:
        self._cache.clear()
