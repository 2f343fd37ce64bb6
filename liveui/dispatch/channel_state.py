"""`ChannelState`: everything a freshly joined client needs, counters and notifications loaded
concurrently. Pushed as `initial_state` by `UserChannel` after the join reply."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..user_events import initial_state

if TYPE_CHECKING:
    from .aggregate_loader import AggregateLoader
    from .counter_declaration import CounterValue
    from .counter_loader import CounterLoader
    from .notification_loader import NotificationLoader
    from .notification_table import NotificationSerializer

__all__ = ["ChannelState", "models_or_domains"]


class ChannelState:
    def __init__(
        self,
        counters: CounterLoader,
        notifications: NotificationLoader,
        aggregates: AggregateLoader | None = None,
    ) -> None:
        self.counters = counters
        self.notifications = notifications
        self.aggregates = aggregates

    async def build(
        self,
        user_id: Any,
        notification_limit: int = 50,
        notification_serializer: NotificationSerializer | None = None,
        counter_models: Iterable[type[Any]] | None = None,
        parallel: bool = True,
        *,
        counter_domains: Iterable[type[Any]] | None = None,
    ) -> dict[str, Any]:
        """`{"counters": {name: value}, "versions": {name: version}, "notifications": [...]}`.

        `counter_models` limits the counters to those declared on these models;
        `counter_domains` is AshDispatch's name for it (liveui's "domains" are models)."""
        counter_models = models_or_domains(counter_models, counter_domains)
        def load_counters() -> Awaitable[Mapping[str, CounterValue]]:
            return self.counters.load_counter_values(user_id, counter_models)

        def load_recent() -> Awaitable[list[Any]]:
            return self.notifications.load_recent(
                user_id, notification_limit, notification_serializer
            )

        notifications: list[Any] = []
        if not self.notifications.configured:
            values = await load_counters()
        elif parallel:
            values, notifications = await asyncio.gather(load_counters(), load_recent())
        else:  # AshDispatch's debugging switch: one after the other
            values = await load_counters()
            notifications = await load_recent()
        aggregates = self.aggregates
        aggregate_values = None
        if aggregates is not None and aggregates.registry.aggregates:
            aggregate_values = await aggregates.load_aggregate_values(user_id, counter_models)
        return initial_state(values, notifications, aggregate_values)


def models_or_domains(
    counter_models: Iterable[type[Any]] | None, counter_domains: Iterable[type[Any]] | None
) -> Iterable[type[Any]] | None:
    """One of the two names, or neither; both at once is ambiguous."""
    if counter_domains is None:
        return counter_models
    if counter_models is not None:
        raise TypeError("give counter_models or counter_domains (its AshDispatch name), not both")
    return counter_domains
