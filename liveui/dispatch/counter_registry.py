"""`CounterRegistry`: finds the counters and collections declared on the configured models, and
the audiences.

Declarations are resolved lazily, on first use, when every mapper can be configured: a lambda
in `__counters__` may name columns of classes defined later in the module.
"""

from __future__ import annotations

import importlib
import inspect as pyinspect
import threading
import types
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import inspect, true
from sqlalchemy.orm import configure_mappers
from sqlalchemy.sql.elements import ColumnElement

from .._utils import did_you_mean
from ..errors import ConfigurationError
from .aggregate_declaration import Aggregate, AggregateSpec, bind_aggregate
from .collection_declaration import Collection, CollectionSpec, bind_collection
from .counter_declaration import Counter, CounterSpec, bind, counter
from .dispatch_settings import DispatchSettings, import_string

__all__ = ["UNREAD_NOTIFICATIONS", "CounterRegistry"]

UNREAD_NOTIFICATIONS = "unread_notifications"


class CounterRegistry:
    def __init__(self, settings: DispatchSettings, *, check_audiences: bool = True) -> None:
        self.settings = settings
        self._check_audiences = check_audiences
        self._lock = threading.Lock()
        self._counters: dict[str, Counter] | None = None
        self._by_model: dict[type[Any], list[Counter]] = {}
        self._audiences: dict[str, ColumnElement[bool]] | None = None
        self._collections: dict[str, Collection] | None = None
        self._collections_by_model: dict[type[Any], list[Collection]] = {}
        self._aggregates: dict[str, Aggregate] | None = None
        self._watching: dict[type[Any], list[Counter]] = {}

    # counters --------------------------------------------------------------------------------
    @property
    def counters(self) -> dict[str, Counter]:
        found = self._counters
        if found is None:
            with self._lock:
                found = self._counters
                if found is None:
                    found = self._counters = self._discover()
        return found

    def get(self, name: str) -> Counter:
        """A counter by its wire name or, when `counter_name` renamed it, its declared one."""
        counters = self.counters
        found = counters.get(name)
        if found is None:
            found = next((c for c in counters.values() if c.declared == name), None)
        if found is None:
            raise ConfigurationError(f"no counter named {name!r} is declared")
        return found

    def for_class(self, cls: type[Any]) -> list[Counter]:
        """Counters of `cls` and of the mapped classes it inherits from (cached per class)."""
        cached = self._by_model.get(cls)
        if cached is None:
            models = set(cls.__mro__)
            cached = [c for c in self.counters.values() if c.model in models]
            self._by_model[cls] = cached
        return cached

    def for_models(self, models: Iterable[type[Any]] | None) -> list[Counter]:
        if models is None:
            return list(self.counters.values())
        wanted = set(models)
        return [c for c in self.counters.values() if c.model in wanted]

    # aggregates (counters with another measure: see aggregate_declaration) ------------------
    @property
    def aggregates(self) -> dict[str, Aggregate]:
        found = self._aggregates
        if found is None:
            counters = self.counters  # first: the names must not clash
            with self._lock:
                found = self._aggregates
                if found is None:
                    found = self._aggregates = self._discover_aggregates(counters)
        return found

    def aggregate(self, name: str) -> Aggregate:
        try:
            return self.aggregates[name]
        except KeyError:
            raise ConfigurationError(f"no aggregate named {name!r} is declared") from None

    def measured_for_class(self, cls: type[Any]) -> list[Counter]:
        """Counters and aggregates of `cls` (and its mapped bases): what a row change of it may
        move, for the session hooks (cached per class)."""
        cached = self._watching.get(cls)
        if cached is None:
            models = set(cls.__mro__)
            aggregates = [a for a in self.aggregates.values() if a.model in models]
            cached = [*self.for_class(cls), *aggregates]
            self._watching[cls] = cached
        return cached

    def _discover_aggregates(self, counters: dict[str, Counter]) -> dict[str, Aggregate]:
        configure_mappers()
        found: dict[str, Aggregate] = {}
        for model in self.models():
            for spec in model.__dict__.get("__aggregates__", ()):
                if not isinstance(spec, AggregateSpec):
                    raise ConfigurationError(
                        f"{model.__name__}.__aggregates__ holds {spec!r}; declare aggregates "
                        "with aggregate(...)"
                    )
                if spec.name in found or spec.name in counters:
                    other = (found.get(spec.name) or counters[spec.name]).model.__name__
                    raise ConfigurationError(
                        f"aggregate {spec.name!r}: the name is already declared on {other} "
                        "(counters and aggregates share one namespace on the wire)"
                    )
                found[spec.name] = bind_aggregate(spec, model)
        for a in found.values() if self._check_audiences else ():
            if a.audience != "user" and a.audience not in self.settings.audiences:
                raise ConfigurationError(
                    f"aggregate {a.name!r} uses audience {a.audience!r}, which is not in "
                    f"DispatchSettings.audiences (known: {sorted(self.settings.audiences)})"
                )
        return found

    # collections -----------------------------------------------------------------------------
    @property
    def collections(self) -> dict[str, Collection]:
        found = self._collections
        if found is None:
            with self._lock:
                found = self._collections
                if found is None:
                    found = self._collections = self._discover_collections()
        return found

    def collection(self, name: str) -> Collection:
        try:
            return self.collections[name]
        except KeyError:
            known = self.collections
            raise ConfigurationError(
                f"no collection named {name!r} is declared{did_you_mean(name, known)}; declared: "
                f"{', '.join(sorted(known)) or '(none)'}"
            ) from None

    def collections_for_class(self, cls: type[Any]) -> list[Collection]:
        cached = self._collections_by_model.get(cls)
        if cached is None:
            models = set(cls.__mro__)
            cached = [c for c in self.collections.values() if c.model in models]
            self._collections_by_model[cls] = cached
        return cached

    def _discover_collections(self) -> dict[str, Collection]:
        configure_mappers()
        found: dict[str, Collection] = {}
        for model in self.models():
            for spec in model.__dict__.get("__collections__", ()):
                if not isinstance(spec, CollectionSpec):
                    raise ConfigurationError(
                        f"{model.__name__}.__collections__ holds {spec!r}; declare collections "
                        "with collection(...)"
                    )
                if spec.name in found:
                    other = found[spec.name].model.__name__
                    raise ConfigurationError(
                        f"collection {spec.name!r} is declared on both {other} and "
                        f"{model.__name__}"
                    )
                found[spec.name] = bind_collection(spec, model)
        for c in found.values() if self._check_audiences else ():
            if c.audience != "user" and c.audience not in self.settings.audiences:
                raise ConfigurationError(
                    f"collection {c.name!r} uses audience {c.audience!r}, which is not in "
                    f"DispatchSettings.audiences (known: {sorted(self.settings.audiences)})"
                )
        return found

    def _discover(self) -> dict[str, Counter]:
        configure_mappers()
        found: dict[str, Counter] = {}
        for model in self.models():
            for spec in _declared(model):
                if spec.name in found:
                    other = found[spec.name].model.__name__
                    raise ConfigurationError(
                        f"counter {spec.name!r} is declared on both {other} and {model.__name__}"
                        " (as a name or a counter_name)"
                    )
                found[spec.name] = bind(spec, model)
        notification = self.settings.notification_model
        if notification is not None and UNREAD_NOTIFICATIONS not in found:
            found[UNREAD_NOTIFICATIONS] = bind(_unread_spec(notification), notification)
        for c in found.values() if self._check_audiences else ():
            if c.audience != "user" and c.audience not in self.settings.audiences:
                raise ConfigurationError(
                    f"counter {c.name!r} uses audience {c.audience!r}, which is not in "
                    f"DispatchSettings.audiences (known: {sorted(self.settings.audiences)})"
                )
        return found

    def models(self) -> list[type[Any]]:
        out: list[type[Any]] = []
        for entry in self.settings.models:
            for model in _expand(entry):
                if model not in out:
                    out.append(model)
        return out

    # audiences -------------------------------------------------------------------------------
    @property
    def user_model(self) -> type[Any]:
        model = self.settings.user_model
        if model is None:
            raise ConfigurationError(
                "DispatchSettings.user_model is not set: audiences other than \"user\" need it"
            )
        return model

    @property
    def user_id_column(self) -> ColumnElement[Any]:
        column = self.settings.user_id_column
        if column is not None:
            resolved: ColumnElement[Any] = _call(column)
            return resolved
        keys = inspect(self.user_model).primary_key
        if len(keys) != 1:
            raise ConfigurationError(
                "DispatchSettings.user_id_column is not set and the user model's primary key "
                "is not a single column"
            )
        key: ColumnElement[Any] = keys[0]
        return key

    def audience_filter(self, name: str) -> ColumnElement[bool]:
        if name == "user":
            return true()
        filters = self._audiences
        if filters is None:
            filters = self._audiences = {
                key: _call(value) for key, value in self.settings.audiences.items()
            }
        try:
            return filters[name]
        except KeyError:
            raise ConfigurationError(
                f"audience {name!r} is not in DispatchSettings.audiences"
            ) from None

    @property
    def audience_names(self) -> list[str]:
        return list(self.settings.audiences)


def _call(value: Any) -> Any:
    return value() if callable(value) and not isinstance(value, ColumnElement) else value


def _declared(model: type[Any]) -> list[CounterSpec]:
    # Only the class's own declarations: a subclass inherits its parent's counters at runtime
    # through `for_class`, it does not redeclare them.
    specs = model.__dict__.get("__counters__", ())
    out: list[CounterSpec] = []
    for spec in specs:
        if not isinstance(spec, CounterSpec):
            raise ConfigurationError(
                f"{model.__name__}.__counters__ holds {spec!r}; declare counters with counter(...)"
            )
        out.append(spec)
    return out


def _expand(entry: Any) -> Sequence[type[Any]]:
    if isinstance(entry, str):
        if ":" in entry:
            entry = import_string(entry)
        else:
            try:
                entry = importlib.import_module(entry)
            except ImportError as exc:
                raise ConfigurationError(f"cannot import models module {entry!r}: {exc}") from exc
    if isinstance(entry, types.ModuleType):
        return [
            obj for obj in vars(entry).values()
            if pyinspect.isclass(obj)
            and any(key in obj.__dict__
                    for key in ("__counters__", "__collections__", "__aggregates__"))
        ]
    if pyinspect.isclass(entry):
        return [entry]
    raise ConfigurationError(f"DispatchSettings.models holds {entry!r}: give classes or modules")


def _unread_spec(model: type[Any]) -> CounterSpec:
    return counter(
        UNREAD_NOTIFICATIONS,
        where=lambda: model.read == False,  # noqa: E712 (SQL, not Python)
        owner=lambda: model.user_id,
        invalidates=["notifications"],
    )
