"""`ChannelState`: everything a freshly joined client needs, counters and notifications loaded
concurrently. Pushed as `initial_state` by `UserChannel` after the join reply."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..user_events import aggregate_state

if TYPE_CHECKING:
    from .aggregate_loader import AggregateLoader
    from .counter_loader import CounterLoader
    from .notification_loader import NotificationLoader
    from .notification_table import NotificationSerializer

__all__ = ["ChannelState"]


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
    ) -> dict[str, Any]:
        """`{"counters": {name: value}, "versions": {name: version}, "notifications": [...]}`."""
        load_counters = self.counters.load_counter_values(user_id, counter_models)
        if not self.notifications.configured:
            values = await load_counters
            notifications: list[Any] = []
        else:
            load_recent = self.notifications.load_recent(
                user_id, notification_limit, notification_serializer
            )
            if parallel:
                values, notifications = await asyncio.gather(load_counters, load_recent)
            else:
                values = await load_counters
                notifications = await load_recent
        state: dict[str, Any] = {
            "counters": {name: v.value for name, v in values.items()},
            "versions": {name: v.version for name, v in values.items()},
            "notifications": notifications,
        }
        aggregates = self.aggregates
        if aggregates is not None and aggregates.registry.aggregates:
            state["aggregates"] = aggregate_state(
                await aggregates.load_aggregate_values(user_id, counter_models)
            )
        return state
