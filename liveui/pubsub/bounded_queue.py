"""Bounded buffers with a named overflow policy, so no pub/sub queue can grow without limit.

Policies:

- ``drop_oldest``: make room by discarding the oldest item (the default: a late reader sees the
  newest messages, and the hub's resync repairs what was lost).
- ``drop_newest``: refuse the new item and keep the queue as it is (useful when the order of the
  oldest items matters more than freshness).

Every drop is counted, so the owner can tell its listeners that messages were lost.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Iterator
from typing import Generic, TypeVar

__all__ = ["BoundedQueue", "Overflow"]

T = TypeVar("T")


class Overflow(enum.StrEnum):
    DROP_OLDEST = "drop_oldest"
    DROP_NEWEST = "drop_newest"


class BoundedQueue(Generic[T]):
    """A FIFO of at most `limit` items; `put` applies the policy and returns False on a drop."""

    __slots__ = ("_items", "dropped", "limit", "policy")

    def __init__(self, limit: int, policy: Overflow | str = Overflow.DROP_OLDEST) -> None:
        if limit < 1:
            raise ValueError(f"liveui: a bounded queue needs a limit >= 1, not {limit}")
        self.limit = limit
        self.policy = Overflow(policy)
        self.dropped = 0
        self._items: deque[T] = deque()

    def put(self, item: T) -> bool:
        items = self._items
        if len(items) < self.limit:
            items.append(item)
            return True
        self.dropped += 1
        if self.policy is Overflow.DROP_NEWEST:
            return False
        items.popleft()
        items.append(item)
        return False

    def take(self, n: int) -> list[T]:
        """Remove and return up to `n` items from the front."""
        items = self._items
        return [items.popleft() for _ in range(min(n, len(items)))]

    def peek(self) -> T:
        return self._items[0]

    def popleft(self) -> T:
        return self._items.popleft()

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(self._items)
