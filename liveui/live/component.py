"""`LiveComponent`: the base class of every live component (the badge, the dropdown, yours).

A component is server-held state plus a template. Its life in a tab:

    mount(ctx)            initial state, may load from the database (async)
    render / fragments    HTML for first paint / the patchable pieces, each an element with an id
    handle_info(message)  a pub/sub or dispatch event; return True when the state changed
    handle_event(...)     a user action from the page (an htmx POST or a ws-send message)

Safe by default: a page's specs come from the browser, so before a component subscribes or
mounts, `authorize(ctx)` must say yes, and its params must match `params_schema`. The default
`authorize` admits a component only when every topic it asks for is the user's own
(`user:<id>`); a component that listens anywhere else must override it and check the user's
right to that topic. A refused component refuses the whole connection (HTTP 403).

Each component is identified on the page by a spec, its type `name` plus JSON `params`, written
into data attributes of its root element; liveui.js sends the specs when it connects so a session
can always be rebuilt, on any node, after a restart.

    class Clock(LiveComponent):
        name = "clock"
        template = "clock.html"        # <span id="{{ id }}" {{ attrs }}>{{ state.now }}</span>

        async def mount(self, ctx):
            self.state = {"now": "-"}

        def topics(self, user_id):
            return ["clock"]

        async def authorize(self, ctx):
            return True                  # the clock is public: anyone may see it

        def handle_info(self, message):
            self.state = {"now": message.payload["now"]}
            return True
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sys
from collections.abc import Awaitable, Hashable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from markupsafe import Markup, escape

from .._utils import did_you_mean, maybe_await
from ..errors import ConfigurationError, EventRejected, SpecError
from ..pubsub.broadcast import Broadcast
from ..user_events import user_topic
from .fragment import Fragment, Op
from .render import Uncacheable, cache_key
from .view_params import ViewParam, clean_view, full_view

if TYPE_CHECKING:
    from .context import LiveContext
    from .render import Renderer

__all__ = [
    "LiveComponent",
    "authorized",
    "check_params",
    "component_from_spec",
    "component_type",
    "component_types",
]

log = logging.getLogger("liveui.live")

_ID = re.compile(r"^[A-Za-z][\w-]{0,80}$")
_types: dict[str, type[LiveComponent]] = {}


def _stable_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


class LiveComponent:
    # Thousands of instances per node (each tab's badges, lists, tables): no instance dict for
    # the built-in ones (a subclass that declares no __slots__ of its own gets one as usual).
    __slots__ = ("__weakref__", "_params_json", "_spec_json", "id", "params", "state")
    name: ClassVar[str] = ""
    """The type name used in specs; setting it registers the subclass."""
    template: ClassVar[str] = ""
    """The Jinja2 template rendering the component (context: id, state, params, attrs)."""
    params_schema: ClassVar[Mapping[str, type | tuple[type, ...]] | None] = None
    """The params a page may send, by name, with their JSON types (`{"shop": str, "limit":
    int}`); any other name or a wrong type is refused. None: the constructor's signature
    alone decides."""

    view_params: ClassVar[tuple[ViewParam, ...]] = ()
    """What the person looking may change (filters, search, sort, range: docs/view-params.md).
    The view travels in the params (`view`), so a component's params never change: a new view
    is a new component, which `LiveSession.replace` swaps in."""

    reload_on_resume: ClassVar[bool] = False
    """While its tab is paused (hidden, docs/hidden-tabs.md) a component keeps applying its
    broadcasts and is re-rendered from that state on resume. True: its state cannot be kept
    cheaply or completely from broadcasts alone (rows re-read from the database, events that
    carry only ids), so a paused session skips its `handle_info` and resume reloads it with
    `mount` instead."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("name"):
            _types[cls.name] = cls

    def __init__(self, **params: Any) -> None:
        # Params never change after construction: their JSON is made once per component (and
        # checks they are JSON) and interned, so the sessions showing the same component share
        # one string, and a re-render does not serialize them again (attrs, event_vals and
        # render-cache keys use it).
        try:
            params_json = json.dumps(params, sort_keys=True, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise SpecError(f"{self.name}: params must be JSON-serializable ({exc})") from None
        self._params_json = params_json = sys.intern(params_json)
        # Equal params are one dict for every session (thousands of tabs showing one badge).
        self.params: dict[str, Any] = _shared_params(params_json, params)
        self._spec_json: str | None = None
        self.state: dict[str, Any] = {}
        self.id = sys.intern(self.dom_id())  # one string for every tab showing it
        if not _ID.match(self.id):
            raise SpecError(f"{self.name}: {self.id!r} is not a valid element id")

    # identity --------------------------------------------------------------------------------
    def dom_id(self) -> str:
        """The id of the root element; an explicit `id` param wins, else one derived from params
        (the view left out: every view of a component is the same element)."""
        explicit = self.params.get("id")
        if isinstance(explicit, str):
            return explicit
        identity = self._params_json
        if "view" in self.params:  # a new view of a component is the same element
            identity = _stable_json({k: v for k, v in self.params.items() if k != "view"})
        digest = hashlib.sha1(identity.encode()).hexdigest()[:8]
        return f"live-{self.name}-{digest}"

    @property
    def params_json(self) -> str:
        """The params as canonical JSON (sorted keys): equal params, equal strings."""
        return self._params_json

    def spec(self) -> dict[str, Any]:
        return {"c": self.name, "p": self.params}

    # view params -------------------------------------------------------------------------------
    @property
    def view(self) -> dict[str, str]:
        """The view, every declared name with its value (defaults filled in)."""
        given = self.params.get("view")
        return full_view(self.view_params, given if isinstance(given, dict) else {})

    @classmethod
    def clean_view(cls, raw: Mapping[str, Any] | None) -> dict[str, str]:
        """The `view` param a constructor keeps for `raw` (a URL query, a page's spec): only
        declared names with allowed values that differ from the defaults."""
        return clean_view(cls.view_params, raw)

    def with_view(self, raw: Mapping[str, Any]) -> LiveComponent:
        """The same component showing the view `raw` asks for (cleaned), not yet mounted.
        Names `raw` leaves out take their defaults."""
        params = {k: v for k, v in self.params.items() if k != "view"}
        cleaned = self.clean_view(raw)
        if cleaned:
            params["view"] = cleaned
        return type(self)(**params)

    def _spec(self) -> str:
        if self._spec_json is None:
            self._spec_json = sys.intern(json.dumps(self.spec()))
        return self._spec_json

    def etag(self) -> str:
        """A digest of the state; a page whose etag matches needs no re-render on connect."""
        return hashlib.sha1(_stable_json(self.state).encode()).hexdigest()[:12]

    def attrs(self) -> Markup:
        """The data attributes liveui.js reads to rebuild this component on (re)connect."""
        params = escape(self._params_json)
        names = ""
        if self.view_params:
            names = f' data-live-view="{escape(" ".join(p.name for p in self.view_params))}"'
        return Markup(
            f'data-live="{escape(self.name)}" data-live-params="{params}"'
            f' data-live-etag="{self.etag()}"{names}'
        )

    def event_vals(self, event: str, **extra: str) -> str:
        """JSON for `hx-vals` on a button that sends `event` to this component's `handle_event`:

            <button hx-post="{{ liveui_event_url }}" hx-vals='{{ event_vals("clear") }}'
                    hx-swap="none">Clear</button>
        """
        return _EventVals(self.id, self._spec())(event, **extra)

    # lifecycle -------------------------------------------------------------------------------
    def topics(self, user_id: Any) -> list[str]:
        """Pub/sub topics whose broadcasts reach `handle_info` (the user's own by default)."""
        return [user_topic(user_id)]

    def authorize(self, ctx: LiveContext) -> bool | Awaitable[bool]:
        """Whether `ctx.user_id` may have this component (run before it subscribes or mounts).

        Default: only when every topic it listens to is the user's own. Override it for any
        other topic, checking the user's right to it (may be async)."""
        if ctx.user_id is None:
            return False
        own = user_topic(ctx.user_id)
        return all(topic == own for topic in self.topics(ctx.user_id))

    async def mount(self, ctx: LiveContext) -> None:
        """Set the initial `state`; called at page render and whenever the session resyncs."""

    def handle_info(self, message: Broadcast) -> bool | Awaitable[bool]:
        """React to a broadcast; return True if the state changed (then it is re-rendered)."""
        return False

    def awaited_read(self, message: Broadcast) -> int:
        """When `message` announces a read this component will receive next (a collection's
        `rows_changed`, read once by the node's feed): its number (`CollectionFeed.number`);
        the tab's patches of the same commit then wait for the read that covers it, so they
        leave as one write (`liveui.live.patch_flusher`). 0: nothing to wait for."""
        return 0

    async def handle_event(self, event: str, data: Mapping[str, Any], ctx: LiveContext) -> None:
        """React to a user action. Raise `EventRejected` to answer with an error status."""
        raise EventRejected(400, f"{self.name} does not handle the event {event!r}")

    # rendering -------------------------------------------------------------------------------
    def context(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "params": self.params,
            "attrs": self.attrs(),
            "event_vals": _EventVals(self.id, self._spec()),
        }

    def render_key(self) -> Hashable | None:
        """What determines this component's HTML, for the shared render cache; None: key on the
        whole context instead. The default, class + params + state, holds while `context()` is
        the base one; a subclass that adds other inputs to its context gets None unless it
        overrides this too."""
        if type(self).context is not LiveComponent.context:
            return None
        try:
            return (type(self), self.id, self._params_json, cache_key(self.state))
        except Uncacheable:
            return None

    def render(self, renderer: Renderer) -> str:
        """The whole component, for first paint."""
        if not self.template:
            raise NotImplementedError(f"{type(self).__name__} sets no template")
        key = self.render_key()
        if key is None:
            return renderer.render(self.template, **self.context())
        return renderer.render_keyed(self.template, key, self.context)

    def fragments(self, renderer: Renderer) -> list[Fragment]:
        """The patchable pieces; only those whose HTML changed are sent. Default: the whole root."""
        return [Fragment(self.id, self.render(renderer))]

    def full_fragments(self, renderer: Renderer) -> list[Fragment]:
        """What to send when the page's copy is unknown (reconnect without replay)."""
        return self.fragments(renderer)

    tracks_changes: ClassVar[bool] = False
    """True for a component that knows what changed since the page was last sent (a collection
    knows which rows a read touched): the session asks it (`changed_ops`) instead of comparing
    each of its `fragments` with what it sent, and keeps no copy of what it sent."""

    def changed_ops(self, renderer: Renderer) -> list[Op] | None:
        """With `tracks_changes`: the operations from what the page was last sent to now (None:
        compare the fragments after all)."""
        return None

    def mark_shown(self, renderer: Renderer) -> None:
        """The page now shows this component exactly as it renders (a component that tracks its
        own changes starts again from here)."""


_PARAMS: dict[str, dict[str, Any]] = {}
_PARAMS_KEPT = 4096


def _shared_params(params_json: str, params: dict[str, Any]) -> dict[str, Any]:
    """The params dict already made for `params_json`, else `params` (kept for the next)."""
    known = _PARAMS.get(params_json)
    if known is not None:
        return known
    if len(_PARAMS) >= _PARAMS_KEPT:  # bounded however many distinct params pages send
        del _PARAMS[next(iter(_PARAMS))]
    _PARAMS[params_json] = params
    return params


class _EventVals:
    """`event_vals(...)` for templates. Its str() names only the component, so contexts that
    carry it stay cacheable by the renderer (a bound method's str() is unique per instance)."""

    __slots__ = ("_id", "_spec")

    def __init__(self, component_id: str, spec: str) -> None:
        self._id = component_id
        self._spec = spec

    def __call__(self, event: str, **extra: str) -> str:
        return json.dumps({"component": self._id, "spec": self._spec, "event": event, **extra})

    def __str__(self) -> str:
        return f"event_vals:{self._id}:{self._spec}"

    def render_key(self) -> tuple[str, str]:
        return (self._id, self._spec)


def component_types() -> dict[str, type[LiveComponent]]:
    return dict(_types)


def component_type(name: str) -> type[LiveComponent]:
    try:
        return _types[name]
    except KeyError:
        raise SpecError(
            f"no live component is registered under the name {name!r}"
            f"{did_you_mean(name, _types)} (known: "
            f"{', '.join(sorted(_types))}); a LiveComponent subclass with `name = {name!r}` "
            "registers itself when its module is imported"
        ) from None


def component_from_spec(spec: Any) -> tuple[LiveComponent, str | None]:
    """Build a component from a page spec `{"c": name, "p": params, "e": etag}`."""
    if not isinstance(spec, dict):
        raise SpecError("a component spec must be an object")
    name, params, etag = spec.get("c"), spec.get("p", {}), spec.get("e")
    if not isinstance(name, str) or not isinstance(params, dict):
        raise SpecError("a component spec needs a name 'c' and an object 'p'")
    if etag is not None and not isinstance(etag, str):
        raise SpecError("a component spec's etag 'e' must be a string")
    cls = _types.get(name)
    if cls is None:
        # a page's spec comes from the client: no list of what is registered (see
        # component_type for the developer's message, raised when a template names one)
        raise SpecError(f"unknown component {name[:64]!r}")
    check_params(cls, params)
    try:
        return cls(**{str(k): v for k, v in params.items()}), etag
    except TypeError as exc:
        raise SpecError(f"{name!r}: bad params ({exc})") from None


def check_params(cls: type[LiveComponent], params: Mapping[str, Any]) -> None:
    """Refuse params the component's `params_schema` does not declare, or of the wrong type."""
    schema = cls.params_schema
    if schema is None:
        return
    for key, value in params.items():
        expected = schema.get(key)
        if expected is None:
            raise SpecError(f"{cls.name}: unknown param {key!r}")
        if isinstance(value, bool) and bool not in (
            expected if isinstance(expected, tuple) else (expected,)
        ):
            raise SpecError(f"{cls.name}: param {key!r} has the wrong type")
        if not isinstance(value, expected):
            raise SpecError(f"{cls.name}: param {key!r} has the wrong type")


async def authorized(component: LiveComponent, ctx: LiveContext) -> bool:
    """Run `component.authorize(ctx)`; an error in it counts as a refusal."""
    try:
        return bool(await maybe_await(component.authorize(ctx)))
    except ConfigurationError:
        raise  # the app's mistake (a misspelled collection), not a refusal: say it as it is
    except Exception:
        log.exception(
            "liveui: %s.authorize failed; refusing it", type(component).__name__
        )
        return False
