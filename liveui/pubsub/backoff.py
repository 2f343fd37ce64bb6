"""Jittered exponential backoff and once-per-outage logging, shared by the hub and backends.

A thousand nodes that lost Redis at the same moment must not all retry at the same moment, and a
node that fails 10,000 publishes during one outage must write two log lines, not 10,000.
"""

from __future__ import annotations

import logging
import random

__all__ = ["Backoff", "OutageLog"]


class Backoff:
    """Delays `initial`, 2x, 4x … up to `maximum` seconds, each with ±50% jitter."""

    __slots__ = ("_attempt", "initial", "maximum")

    def __init__(self, initial: float = 0.05, maximum: float = 5.0) -> None:
        self.initial = initial
        self.maximum = maximum
        self._attempt = 0

    def next_delay(self) -> float:
        base = min(self.maximum, self.initial * 2.0**self._attempt)
        self._attempt = min(self._attempt + 1, 30)
        jitter: float = random.uniform(0.5, 1.5)
        return base * jitter

    def reset(self) -> None:
        self._attempt = 0


class OutageLog:
    """Logs the first failure of an outage and its end; everything in between is counted."""

    __slots__ = ("failed_attempts", "failures", "in_outage", "log", "outages", "what")

    def __init__(self, log: logging.Logger, what: str) -> None:
        self.log = log
        self.what = what
        self.in_outage = False
        self.failures = 0
        """Failed attempts of the current outage."""
        self.outages = 0
        """Outages since start (for metrics)."""
        self.failed_attempts = 0
        """Failed attempts since start: each one was retried (for metrics)."""

    def failed(self, exc: BaseException) -> bool:
        """Record a failure; True when it started a new outage."""
        self.failures += 1
        self.failed_attempts += 1
        if self.in_outage:
            return False
        self.in_outage = True
        self.outages += 1
        self.log.warning(
            "liveui: %s unavailable (%s); retrying with backoff", self.what, exc,
            extra={"liveui_outage": self.what, "liveui_error": repr(exc)},
        )
        return True

    def recovered(self) -> bool:
        """Record a success; True when it ended an outage."""
        if not self.in_outage:
            return False
        self.log.warning(
            "liveui: %s recovered after %d failed attempts", self.what, self.failures,
            extra={"liveui_outage": self.what, "liveui_failed_attempts": self.failures},
        )
        self.in_outage = False
        self.failures = 0
        return True
