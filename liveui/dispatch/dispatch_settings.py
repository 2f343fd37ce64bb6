"""`DispatchSettings`: every dispatch setting in one place, with env-var overrides.

    settings = DispatchSettings(
        models=[Order, "myapp.tickets"],          # classes or modules to scan for __counters__
        user_model=User,                         # + user_id_column (default: its primary key)
        audiences={"admin": User.is_admin == True, "partner": lambda: User.role == "partner"},
        notification_model=Notification,        # from notification_model(Base)
        counter_broadcast_fn="myapp.realtime:broadcast",   # or a callable; default endpoint
        ash_field_names=False,                  # True: AshDispatch's field names too
    ).with_env()

Environment overrides (read by `with_env()`): LIVEUI_COUNTER_BROADCAST_FN ("module:function"),
LIVEUI_DISPATCH_WINDOW_MS (the coalescing window), LIVEUI_DISPATCH_MODELS (comma-separated
modules or "module:Class").
"""

from __future__ import annotations

import dataclasses
import importlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigurationError

__all__ = ["BroadcastFn", "DispatchSettings", "import_string"]

BroadcastFn = Callable[[str, str, Any], Any]
"""`(topic, event, payload)`: the signature of `Endpoint.broadcast`."""


@dataclass(frozen=True)
class DispatchSettings:
    models: Sequence[Any] = ()
    """Mapped classes or modules (objects or dotted names) holding classes with `__counters__`."""
    user_model: type[Any] | None = None
    user_id_column: Any = None
    """The user model's id column (default: its single primary-key column)."""
    audiences: Mapping[str, Any] = field(default_factory=dict)
    """Audience name -> filter on the user model (or a lambda returning one). "user" is all."""
    notification_model: type[Any] | None = None
    counter_broadcast_fn: BroadcastFn | str | None = None
    notification_serializer: Callable[[Any], Any] | None = None
    ash_field_names: bool = False
    """Also send AshDispatch's names of the renamed fields (`invalidate_queries` next to
    `invalidateQueries`, `timestamp` next to `insertedAt`: `user_events.RENAMED_FIELDS`), for a
    client written against AshDispatch. liveui's own readers need only theirs."""
    coalesce_window: float = 0.020
    """Seconds between grouped recomputes during a burst: the first commit after a quiet period
    is recounted at once, the commits of the next `coalesce_window` seconds together after it
    (0: whatever arrived while a recompute ran, right after it)."""

    def with_env(self, environ: Mapping[str, str] | None = None) -> DispatchSettings:
        env = os.environ if environ is None else environ
        changes: dict[str, Any] = {}
        if env.get("LIVEUI_COUNTER_BROADCAST_FN"):
            changes["counter_broadcast_fn"] = env["LIVEUI_COUNTER_BROADCAST_FN"]
        if env.get("LIVEUI_DISPATCH_WINDOW_MS"):
            try:
                changes["coalesce_window"] = float(env["LIVEUI_DISPATCH_WINDOW_MS"]) / 1000
            except ValueError as exc:
                raise ConfigurationError(
                    f"LIVEUI_DISPATCH_WINDOW_MS must be a number of milliseconds, "
                    f"got {env['LIVEUI_DISPATCH_WINDOW_MS']!r}"
                ) from exc
        if env.get("LIVEUI_DISPATCH_MODELS"):
            names = [n.strip() for n in env["LIVEUI_DISPATCH_MODELS"].split(",") if n.strip()]
            changes["models"] = names
        return dataclasses.replace(self, **changes) if changes else self

    def __post_init__(self) -> None:
        if self.coalesce_window < 0:
            raise ConfigurationError("coalesce_window must be >= 0 seconds")
        if "user" in self.audiences and not _empty_filter(self.audiences["user"]):
            raise ConfigurationError(
                'the audience "user" is built in (every user) and takes no filter; give a '
                "filtered audience another name"
            )
        if "user" in self.audiences:  # AshDispatch's `user: []`: the built-in one, said again
            rest = {k: v for k, v in self.audiences.items() if k != "user"}
            object.__setattr__(self, "audiences", rest)


def _empty_filter(value: Any) -> bool:
    """None or an empty list/tuple/dict: "no filter" (never compares a SQL expression)."""
    return value is None or (isinstance(value, (list, tuple, dict)) and not value)


def import_string(path: str) -> Any:
    """"package.module:attr" (or "package.module.attr") -> the object, with a clear error."""
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise ConfigurationError(f"{path!r} is not a 'module:attribute' path")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(f"cannot import {module_name!r} (from {path!r}): {exc}") from exc
    obj = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            raise ConfigurationError(f"{module_name!r} has no attribute {attr!r}") from exc
    return obj
