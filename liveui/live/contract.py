"""The part of `liveui.dispatch` the live UI relies on, as structural types.

Keeping it structural lets the badge and dropdown work with the real `Dispatch` and lets users
plug in any object with the same methods (the live layer never imports dispatch internals).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

__all__ = ["CounterValueLike", "CountersLike", "DispatchLike", "NotificationsLike"]


class CounterValueLike(Protocol):
    @property
    def value(self) -> int: ...
    @property
    def version(self) -> int: ...


class CountersLike(Protocol):
    async def load_counter_values(self, user_id: Any) -> Mapping[str, CounterValueLike]: ...


class NotificationsLike(Protocol):
    async def load_recent(self, user_id: Any, limit: int = ...) -> list[dict[str, Any]]: ...
    async def mark_as_read(self, id: Any, *, actor: Any) -> Any: ...
    async def mark_all_as_read(self, user_id: Any, *, actor: Any) -> Mapping[str, Any]: ...


class DispatchLike(Protocol):
    @property
    def counters(self) -> CountersLike: ...
    @property
    def notifications(self) -> NotificationsLike: ...
