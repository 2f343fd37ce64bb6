"""`LivePage`: what `LiveUI.prepare(request)` loaded for one page render.

Templates render synchronously, data loads are async: prepare loads the user's counters and
recent notifications (and mounts any custom components) once per request, and the template tags
read them from here. Without a logged-in user the page is anonymous and the tags render nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .component import LiveComponent
from .contract import CounterValueLike

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

    @property
    def anonymous(self) -> bool:
        return self.user_id is None
