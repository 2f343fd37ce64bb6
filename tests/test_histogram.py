"""`Histogram`: cumulative buckets as Prometheus reads them."""

from __future__ import annotations

import math

import pytest

from liveui.histogram import Histogram


def test_observations_fall_in_the_first_bucket_that_holds_them() -> None:
    histogram = Histogram((0.01, 0.1, 1.0))
    for value in (0.005, 0.01, 0.05, 2.0):
        histogram.observe(value)
    assert histogram.cumulative() == [(0.01, 2), (0.1, 3), (1.0, 3), (math.inf, 4)]
    assert histogram.count == 4
    assert histogram.sum == pytest.approx(2.065)


def test_bounds_must_increase() -> None:
    with pytest.raises(ValueError, match="increasing"):
        Histogram((0.1, 0.01))
