"""`LivePage`: what `LiveUI.prepare(request)` loaded for one page render.

Templates render synchronously, data loads are async: prepare loads the user's counters and
recent notifications (and mounts any custom components) once per request, and the template tags
read them from here. Without a logged-in user the page is anonymous and the tags render nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..user_events import AggregateValueLike, CounterValueLike
from .component import LiveComponent

__all__ = ["LivePage"]


@dataclass
class LivePage:
    user_id: Any
    session_id: str | None = None
    token: str | None = None
    counters: Mapping[str, CounterValueLike] = field(default_factory=dict)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    notification_limit: int = 0
    components: dict[str, LiveComponent] = field(default_factory=dict)
    aggregates: Mapping[str, AggregateValueLike] = field(default_factory=dict)
    """The user's aggregate values, for `live_metric` tiles."""
    rendered_ids: set[str] = field(default_factory=set)
    """Element ids the tags already rendered, so a repeated badge gets an id of its own."""

    def unique_id(self, wanted: str) -> str:
        """`wanted`, or `wanted-2`, `wanted-3`… when the page already has that id."""
        candidate, n = wanted, 1
        while candidate in self.rendered_ids:
            n += 1
            candidate = f"{wanted}-{n}"
        self.rendered_ids.add(candidate)
        return candidate

    @property
    def anonymous(self) -> bool:
        return self.user_id is None
