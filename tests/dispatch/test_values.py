"""Versions: monotonic, stale reads dropped, bounded memory."""

from __future__ import annotations

from liveui.dispatch.values import CounterValues


def test_stale_read_is_dropped_and_versions_only_grow() -> None:
    values = CounterValues()
    first, news = values.record("c", 1, 5, started=1_000)
    assert news and first.version == 1_000
    later, news = values.record("c", 1, 7, started=2_000)
    assert news and later.version == 2_000
    # A read that started before the stored one finished later: stale, not news.
    stale, news = values.record("c", 1, 5, started=1_500)
    assert not news and stale == later
    # A change seen with a clock behind the stored version still moves forward.
    moved, news = values.record("c", 1, 9, started=2_000)
    assert news and moved.version == 2_001
    same, news = values.record("c", 1, 9, started=3_000)
    assert not news and same == moved
    assert values.stamp("c", 1, 10).version > moved.version


def test_bounded() -> None:
    values = CounterValues(max_entries=3)
    for owner in range(10):
        values.record("c", owner, 1, started=owner)
    assert len(values) == 3 and values.get("c", 0) is None and values.get("c", 9) is not None
