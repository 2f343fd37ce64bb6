"""`AggregateLoader`: aggregate values for a user, and their grouped recount after commits.

It is the `CounterLoader` with three hooks changed — which declarations it reads, the value type
(`AggregateValue`: a Decimal or None) and the event it broadcasts (`aggregate_updated`) — so an
aggregate has exactly a counter's cost and guarantees: one `GROUP BY owner` query per owner
aggregate over the owners the commits touched, one query per global aggregate (its value fanned
out to its audience), every recount broadcast with the version of its read, batched loads, and a
failed read left out (a reader keeps what it shows, never a 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..user_events import AGGREGATE_UPDATED, aggregate_updated
from .aggregate_declaration import Aggregate, AggregateValue
from .counter_declaration import Counter
from .counter_loader import CounterLoader

__all__ = ["AggregateLoader"]


class AggregateLoader(CounterLoader):
    def _declared(self) -> Mapping[str, Counter]:
        return self.registry.aggregates

    def _wrap(self, value: Any, version: int) -> Any:
        return AggregateValue(value, version)

    def _send(self, topic: str, c: Counter, value: Any, version: int) -> None:
        assert isinstance(c, Aggregate)
        self.broadcast(topic, AGGREGATE_UPDATED,
                       aggregate_updated(c.name, value, version, c.invalidates))

    async def load_aggregate_values(
        self, user_id: Any, models: Iterable[type[Any]] | None = None
    ) -> dict[str, AggregateValue]:
        """This user's aggregates (audience-filtered) with their versions, batched with the
        other users' loads that arrive at the same time."""
        values: dict[str, AggregateValue] = await self._load_values(user_id, models)
        return values

    async def load_audience_aggregates(self, audience: str) -> dict[str, AggregateValue]:
        """The global aggregates of one audience, with their versions."""
        visible = [a for a in self.registry.aggregates.values()
                   if a.audience == audience and a.is_global]
        found: dict[str, AggregateValue] = await self.database.read(
            lambda conn: self._load(conn, visible, None)
        )
        return found
