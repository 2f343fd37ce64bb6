from __future__ import annotations

import pytest

from liveui.pubsub.bounded_queue import BoundedQueue, Overflow


def test_drop_oldest_keeps_the_newest_items_and_counts_drops() -> None:
    queue: BoundedQueue[int] = BoundedQueue(3, "drop_oldest")
    results = [queue.put(i) for i in range(5)]
    assert results == [True, True, True, False, False]
    assert list(queue) == [2, 3, 4]
    assert queue.dropped == 2


def test_drop_newest_keeps_the_oldest_items() -> None:
    queue: BoundedQueue[int] = BoundedQueue(3, Overflow.DROP_NEWEST)
    for i in range(5):
        queue.put(i)
    assert list(queue) == [0, 1, 2]
    assert queue.dropped == 2


def test_take_removes_from_the_front() -> None:
    queue: BoundedQueue[int] = BoundedQueue(10)
    for i in range(4):
        queue.put(i)
    assert queue.take(3) == [0, 1, 2]
    assert queue.take(3) == [3]
    assert not queue


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        BoundedQueue(0)
    with pytest.raises(ValueError, match="drop_sideways"):
        BoundedQueue(3, "drop_sideways")
