"""`RefusalLog`: refusals of client input logged at most once per key per window.

A client that repeats a refused request thousands of times must not write thousands of lines:
the first refusal of a key (a connection, an address) is logged, the ones after it within
`window` seconds are only counted, and the next line logged for that key says how many were
left out. Client-chosen values go into the arguments with `%r` (never `%s`), so a newline in
them cannot start a forged log line.
"""

from __future__ import annotations

import logging
import time
from typing import Any

__all__ = ["RefusalLog"]


class RefusalLog:
    def __init__(
        self, logger: logging.Logger, *, window: float = 10.0, max_keys: int = 1024
    ) -> None:
        self.logger = logger
        self.window = window
        self.max_keys = max_keys
        self._seen: dict[object, tuple[float, int]] = {}

    def refused(self, key: object, level: int, msg: str, *args: Any) -> None:
        """Log `msg % args` for `key` unless one was logged within the window (then count it)."""
        if not self.logger.isEnabledFor(level):
            return
        now = time.monotonic()
        since, left_out = self._seen.get(key, (0.0, 0))
        if since and now - since < self.window:
            self._seen[key] = (since, left_out + 1)
            return
        if len(self._seen) >= self.max_keys:  # bounded: forget every count (a burst of keys)
            self._seen.clear()
        self._seen[key] = (now, 0)
        if left_out:
            self.logger.log(level, msg + " (and %d more like it before)", *args, left_out)
        else:
            self.logger.log(level, msg, *args)

    def forget(self, key: object) -> None:
        """Drop what is kept for `key` (a connection that closed)."""
        self._seen.pop(key, None)
