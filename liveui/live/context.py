"""`LiveContext`: who is looking, and the data loads shared by a page's components.

One context per page render (made by `LiveUI.prepare`) and one per (re)mount of a session, so the
user's counters and recent notifications are loaded once however many components need them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..row_events import CollectionsSource
from ..user_events import AggregateValueLike, CounterValueLike, UserDataSource

if TYPE_CHECKING:
    from ..node import Node
    from .collection_feed import CollectionFeed
    from .session_view import SessionView

__all__ = ["LiveContext"]


class LiveContext:
    def __init__(
        self,
        user_id: Any,
        dispatch: UserDataSource | None,
        *,
        session: SessionView | None = None,
        notification_limit: int = 10,
        feed: CollectionFeed | None = None,
        node: Node | None = None,
    ) -> None:
        self.user_id = user_id
        self.dispatch = dispatch
        self.session = session
        self.feed = feed
        """The node's re-reader of changed rows (live collections register with it)."""
        self.node = node
        """The node the page is served by (components that look at the node itself)."""
        self.notification_limit = notification_limit
        self._counters: Mapping[str, CounterValueLike] | None = None
        self._notifications: list[dict[str, Any]] | None = None
        self._aggregates: Mapping[str, AggregateValueLike] | None = None
        self._lock = asyncio.Lock()
        self._aggregates_lock = asyncio.Lock()  # its own: loads beside the counters, not after

    def push_event(self, event: str, payload: Any = None) -> None:
        """Send `event` with a JSON payload to the client hooks of the tab this action came
        from (docs/hooks.md); nothing when there is no such tab (a forged or expired page)."""
        if self.session is not None:
            self.session.push_event(event, payload)

    def _require_dispatch(self) -> UserDataSource:
        if self.dispatch is None:
            raise RuntimeError("liveui: this component needs LiveUI(dispatch=...) to load its data")
        return self.dispatch

    @property
    def collections(self) -> CollectionsSource:
        """Where live collections load their rows (`Dispatch.collections`)."""
        return self._require_dispatch().collections

    async def counters(self) -> Mapping[str, CounterValueLike]:
        """The user's counter values (audience-filtered), loaded once per context."""
        async with self._lock:
            if self._counters is None:
                dispatch = self._require_dispatch()
                self._counters = await dispatch.counters.load_counter_values(self.user_id)
            return self._counters

    async def aggregates(self) -> Mapping[str, AggregateValueLike]:
        """The user's aggregate values (audience-filtered), loaded once per context; empty when
        the data source declares none."""
        async with self._aggregates_lock:
            if self._aggregates is None:
                dispatch = self._require_dispatch()
                if not dispatch.aggregate_names:
                    self._aggregates = {}
                else:
                    self._aggregates = await dispatch.aggregates.load_aggregate_values(
                        self.user_id
                    )
            return self._aggregates

    async def notifications(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The user's most recent notifications, newest first, loaded once per context."""
        wanted = max(limit or 0, self.notification_limit)
        async with self._lock:
            if self._notifications is None or wanted > self.notification_limit:
                self.notification_limit = wanted
                notifications = self._require_dispatch().notifications
                if not notifications.configured:
                    self._notifications = []  # the app keeps no notifications: none to show
                else:
                    self._notifications = list(
                        await notifications.load_recent(self.user_id, limit=wanted)
                    )
            return self._notifications[: limit or wanted]

    @property
    def loaded_counters(self) -> Mapping[str, CounterValueLike]:
        return self._counters or {}

    @property
    def loaded_aggregates(self) -> Mapping[str, AggregateValueLike]:
        return self._aggregates or {}

    @property
    def loaded_notifications(self) -> list[dict[str, Any]]:
        return self._notifications or []
