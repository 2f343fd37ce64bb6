"""Capture dispatch broadcasts in tests, the way AshDispatch users mock `counter_broadcast_fn`.

    async def test_badge(dispatch_broadcasts, ...):
        dispatch = Dispatch(settings, engine=engine, broadcast=dispatch_broadcasts)
        ...commit an order...
        await dispatch_broadcasts.assert_counter_broadcast(user.id, "pending_orders", 5)

Every assertion waits (with a timeout) for the broadcast to arrive and, when it does not, fails
with a list of everything that was broadcast. `refute_counter_broadcast` takes the dispatch and
waits until it is idle, so "nothing was sent" is checked after the work, not by sleeping.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from ..user_events import (
    COUNTER_UPDATED,
    NEW_NOTIFICATION,
    read_counter_update,
    read_counter_updates,
    user_topic,
)

if TYPE_CHECKING:
    from ..dispatch.dispatch import Dispatch

__all__ = ["BroadcastRecorder", "RecordedBroadcast", "dispatch_broadcasts"]

DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class RecordedBroadcast:
    topic: str
    event: str
    payload: Any

    @property
    def user_id(self) -> str:
        return self.topic.partition(":")[2]


class BroadcastRecorder:
    """A `(topic, event, payload)` broadcast function that remembers; safe from any thread."""

    def __init__(self, forward: Callable[[str, str, Any], Any] | None = None) -> None:
        self.broadcasts: list[RecordedBroadcast] = []
        self._forward = forward
        self._lock = threading.Lock()

    def __call__(self, topic: str, event: str, payload: Any) -> None:
        with self._lock:
            self.broadcasts.append(RecordedBroadcast(topic, event, payload))
        if self._forward is not None:
            self._forward(topic, event, payload)

    def clear(self) -> None:
        with self._lock:
            self.broadcasts.clear()

    def events(self, user_id: Any = None, event: str | None = None) -> list[RecordedBroadcast]:
        with self._lock:
            found = list(self.broadcasts)
        return [
            b for b in found
            if (user_id is None or b.topic == user_topic(user_id))
            and (event is None or b.event == event)
        ]

    def counter_values(self, user_id: Any, counter: str) -> list[int]:
        """Every value of `counter` broadcast to `user_id`, in order (`counter_updated`, and its
        entry of a `counters_updated`)."""
        return [
            u["value"] for b in self.events(user_id) for u in _counter_updates(b)
            if u["counter"] == counter
        ]

    def aggregate_values(self, user_id: Any, aggregate: str) -> list[str | None]:
        """Every value (wire form: a decimal string or None) of `aggregate` broadcast to
        `user_id`, in order."""
        return [
            b.payload["value"] for b in self.events(user_id, "aggregate_updated")
            if b.payload.get("aggregate") == aggregate
        ]

    async def assert_aggregate_broadcast(
        self, user_id: Any, aggregate: str, value: str | None = None, *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """Wait for `aggregate_updated` of `aggregate` (with the wire `value` "12.50", if
        given) on `user:<user_id>`."""
        topic = f"user:{user_id}"
        found = await self.wait_for(
            lambda b: b.topic == topic and b.event == "aggregate_updated"
            and b.payload.get("aggregate") == aggregate
            and (value is None or b.payload.get("value") == value),
            f"aggregate_updated {aggregate}={value if value is not None else '*'} on {topic}",
            timeout,
        )
        payload: dict[str, Any] = found.payload
        return payload

    # assertions --------------------------------------------------------------------------------
    async def wait_for(
        self,
        predicate: Callable[[RecordedBroadcast], bool],
        what: str,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> RecordedBroadcast:
        deadline = time.monotonic() + timeout
        delay = 0.001
        while True:
            for b in self.events():
                if predicate(b):
                    return b
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"expected {what} within {timeout}s; broadcast so far:\n{self.describe()}"
                )
            await asyncio.sleep(delay)  # polling: broadcasts may come from other threads
            delay = min(delay * 2, 0.02)

    async def assert_counter_broadcast(
        self, user_id: Any, counter: str, value: int | None = None, *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """Wait for `counter_updated` of `counter` (with `value`, if given) on `user:<user_id>`,
        or a `counters_updated` carrying it; returns it as a `counter_updated` payload."""
        topic = user_topic(user_id)

        def wanted(b: RecordedBroadcast) -> dict[str, Any] | None:
            if b.topic != topic:
                return None
            return next((u for u in _counter_updates(b) if u["counter"] == counter
                         and (value is None or u["value"] == value)), None)

        found = await self.wait_for(
            lambda b: wanted(b) is not None,
            f"{COUNTER_UPDATED} {counter}={value if value is not None else '*'} on {topic}",
            timeout,
        )
        payload = wanted(found)
        assert payload is not None
        return payload

    async def assert_notification_broadcast(
        self, user_id: Any, title: str | None = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """Wait for `new_notification` (titled `title`, if given) on `user:<user_id>`."""
        topic = user_topic(user_id)
        found = await self.wait_for(
            lambda b: b.topic == topic and b.event == NEW_NOTIFICATION
            and (title is None or b.payload.get("title") == title),
            f"{NEW_NOTIFICATION} {title or ''} on {topic}",
            timeout,
        )
        payload: dict[str, Any] = found.payload
        return payload

    async def assert_event(
        self, user_id: Any, event: str, payload: Any = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> Any:
        topic = user_topic(user_id)
        found = await self.wait_for(
            lambda b: b.topic == topic and b.event == event
            and (payload is None or b.payload == payload),
            f"{event} {payload if payload is not None else ''} on {topic}",
            timeout,
        )
        return found.payload

    async def refute_counter_broadcast(
        self, dispatch: Dispatch, user_id: Any, counter: str | None = None, *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Wait until `dispatch` has finished its work, then check that no such update was sent
        (since the last `clear()`)."""
        await dispatch.wait_idle(timeout)
        topic = user_topic(user_id)
        sent = [
            b for b in self.events() if b.topic == topic
            and any(counter is None or u["counter"] == counter for u in _counter_updates(b))
        ]
        if sent:
            raise AssertionError(f"unexpected {COUNTER_UPDATED} on {topic}: {sent!r}")

    def describe(self) -> str:
        lines = [f"  {b.topic} {b.event} {b.payload!r}" for b in self.events()]
        return "\n".join(lines) if lines else "  (nothing)"


def _counter_updates(b: RecordedBroadcast) -> list[dict[str, Any]]:
    """The counter values of a broadcast, each as a `counter_updated` payload."""
    if b.event == COUNTER_UPDATED:
        return [b.payload] if read_counter_update(b.payload) is not None else []
    metadata = b.payload.get("metadata") if isinstance(b.payload, dict) else None
    return [
        {"counter": u.counter, "value": u.value, "version": u.version, "metadata": metadata}
        for u in read_counter_updates(b.event, b.payload)
    ]


@pytest.fixture
def dispatch_broadcasts() -> BroadcastRecorder:
    """A recorder to pass as `Dispatch(..., broadcast=dispatch_broadcasts)`."""
    return BroadcastRecorder()
