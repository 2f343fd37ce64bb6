"""`Renderer`: Jinja2 rendering of component templates with a small shared render cache.

Many sessions showing the same state need the same fragment; it is rendered once and the string
reused (keyed by template name + the JSON of its context, bounded LRU). Templates therefore must
not depend on who is looking beyond what is in their context (no per-user tokens in markup).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

import jinja2

from ..errors import ConfigurationError

__all__ = ["Renderer", "live_environment"]


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
        self._cache: OrderedDict[str, str] = OrderedDict()
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
        except jinja2.TemplateNotFound:
            raise ConfigurationError(
                f"liveui: template {name!r} not found (searched the app's templates, then "
                "liveui's own): create it, or fix the component's `template`"
            ) from None

    def render(self, template: str, **context: Any) -> str:
        try:
            key = template + "\0" + json.dumps(context, sort_keys=True, default=str)
        except (TypeError, ValueError):  # unserializable state: render, do not cache
            return self.template(template).render(**context)
        cache = self._cache
        html = cache.get(key)
        if html is not None:
            cache.move_to_end(key)
            self.hits += 1
            return html
        self.misses += 1
        html = self.template(template).render(**context)
        cache[key] = html
        if len(cache) > self._cache_size:
            cache.popitem(last=False)
        return html

    def clear(self) -> None:
        self._cache.clear()
