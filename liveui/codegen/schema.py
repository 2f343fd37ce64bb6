"""`SdkSchema`: what the generated SDK is made from, as plain sorted data (stable output)."""

from __future__ import annotations

from dataclasses import dataclass

from ..dispatch.counter_registry import UNREAD_NOTIFICATIONS
from ..dispatch.dispatch import Dispatch
from .notification_shape import NotificationField, shape_of

__all__ = ["AggregateSchema", "CounterSchema", "SdkSchema", "schema_from_dispatch"]


@dataclass(frozen=True, slots=True)
class CounterSchema:
    name: str
    audience: str
    invalidates: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AggregateSchema:
    name: str
    kind: str
    audience: str
    invalidates: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SdkSchema:
    counters: tuple[CounterSchema, ...]
    """Sorted by name."""
    audiences: tuple[str, ...]
    """"user" and the configured audiences, sorted."""
    notification: tuple[NotificationField, ...]
    unread_counter: str | None
    """The counter holding the unread notification count, when notifications are configured."""
    aggregates: tuple[AggregateSchema, ...] = ()
    """Sorted by name."""

    @property
    def query_keys(self) -> tuple[str, ...]:
        keys = {key for c in self.counters for key in c.invalidates}
        keys.update(key for a in self.aggregates for key in a.invalidates)
        return tuple(sorted(keys))


def schema_from_dispatch(dispatch: Dispatch) -> SdkSchema:
    counters = tuple(
        CounterSchema(c.name, c.audience, tuple(c.invalidates))
        for c in sorted(dispatch.registry.counters.values(), key=lambda c: c.name)
    )
    names = {c.name for c in counters}
    aggregates = tuple(
        AggregateSchema(a.name, a.kind, a.audience, tuple(a.invalidates))
        for a in sorted(dispatch.registry.aggregates.values(), key=lambda a: a.name)
    )
    return SdkSchema(
        aggregates=aggregates,
        counters=counters,
        audiences=tuple(sorted({"user", *dispatch.settings.audiences})),
        notification=shape_of(dispatch.notifications.serializer),
        unread_counter=UNREAD_NOTIFICATIONS if UNREAD_NOTIFICATIONS in names else None,
    )
