"""`RefusalLog`: the first refusal of a key is logged, the rest of the window only counted, and
the next line says how many were left out; keys are independent and bounded."""

from __future__ import annotations

import logging
import time

import pytest

from liveui.log_limit import RefusalLog


def test_one_line_per_key_per_window_then_a_count(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO, logger="test.refusals")
    now = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    refusals = RefusalLog(logging.getLogger("test.refusals"), window=10.0)
    for _ in range(400):
        refusals.refused("conn-1", logging.INFO, "refused %r", "topic\nFORGED")
    refusals.refused("conn-2", logging.INFO, "refused %r", "other")
    assert [r.getMessage() for r in caplog.records] == [
        "refused 'topic\\nFORGED'", "refused 'other'",
    ]
    now[0] += 10.5
    refusals.refused("conn-1", logging.INFO, "refused %r", "again")
    assert caplog.records[-1].getMessage() == "refused 'again' (and 399 more like it before)"


def test_nothing_is_kept_for_a_level_not_logged() -> None:
    logger = logging.getLogger("test.refusals.quiet")
    logger.setLevel(logging.WARNING)
    refusals = RefusalLog(logger)
    refusals.refused("k", logging.DEBUG, "x")
    assert refusals._seen == {}


def test_keys_are_bounded() -> None:
    refusals = RefusalLog(logging.getLogger("test.refusals.many"), max_keys=10)
    logging.getLogger("test.refusals.many").setLevel(logging.INFO)
    for n in range(1000):
        refusals.refused(n, logging.INFO, "x")
    assert len(refusals._seen) <= 10
