"""`Histogram`: a fixed-bucket distribution the parts of a node keep about themselves.

Counting on the hot path must cost no more than an attribute increment, and liveui must not
depend on a metrics library: parts keep plain ints, `collections.Counter`s and these histograms,
and `liveui.metrics` reads them when it is scraped.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

__all__ = ["DURATION_BUCKETS", "Histogram"]

DURATION_BUCKETS: tuple[float, ...] = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
)
"""Seconds: from a one-millisecond recount to one that holds a burst up for seconds."""


class Histogram:
    __slots__ = ("bounds", "count", "counts", "sum")

    def __init__(self, bounds: Sequence[float] = DURATION_BUCKETS) -> None:
        if list(bounds) != sorted(set(bounds)):
            raise ValueError("Histogram: bounds must be increasing")
        self.bounds = tuple(bounds)
        self.counts = [0] * (len(self.bounds) + 1)  # the last one is "above every bound"
        self.count = 0
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.count += 1
        self.sum += value

    def cumulative(self) -> list[tuple[float, int]]:
        """`(upper bound, observations <= it)` for each bound, then `(inf, count)`."""
        out: list[tuple[float, int]] = []
        running = 0
        for bound, n in zip((*self.bounds, float("inf")), self.counts, strict=True):
            running += n
            out.append((bound, running))
        return out
