"""`CounterValues`: the last value and version of each (counter, owner), bounded.

Versions stay monotonic across processes and restarts because they are taken from the wall
clock *before* the count query: a value read later reflects at least everything an earlier read
saw. A read that started before the one already stored is stale and is dropped.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from .counter_declaration import CounterValue

__all__ = ["CounterValues", "now_version"]


def now_version() -> int:
    # Microseconds: monotonic enough across nodes and restarts, and exact in a JavaScript
    # number (2^53), which nanoseconds are not.
    return time.time_ns() // 1000


Entry = tuple[int, int, int]
"""(value, version, started): the last value broadcast for a (counter, owner)."""


def _resolve(
    entry: Entry | None, value: int, started: int
) -> tuple[CounterValue, bool, Entry | None]:
    """What a read of `value` (its query started at `started`) means against the stored entry:
    the value to show, whether it is news, and the entry to store (None: keep the old one)."""
    if entry is None:
        return CounterValue(value, started), True, (value, started, started)
    old_value, old_version, old_started = entry
    if started < old_started:  # a slower, older read: what is stored is newer
        return CounterValue(old_value, old_version), False, None
    if value == old_value:
        return CounterValue(old_value, old_version), False, (old_value, old_version, started)
    version = max(started, old_version + 1)
    return CounterValue(value, version), True, (value, version, started)


class CounterValues:
    def __init__(self, max_entries: int = 100_000) -> None:
        self._max = max_entries
        self._lock = threading.Lock()
        # key -> (value, version, started)
        self._entries: OrderedDict[tuple[str, str], Entry] = OrderedDict()

    @staticmethod
    def key(name: str, owner: Any) -> tuple[str, str]:
        return (name, "" if owner is None else str(owner))

    def get(self, name: str, owner: Any) -> CounterValue | None:
        with self._lock:
            entry = self._entries.get(self.key(name, owner))
        return None if entry is None else CounterValue(entry[0], entry[1])

    def record(self, name: str, owner: Any, value: int, started: int) -> tuple[CounterValue, bool]:
        """Store a value a recompute read with a query started at `started`, before it is
        broadcast.

        Returns the value to show and whether it is news (changed, and not stale). A stale read
        returns the stored value with False.
        """
        key = self.key(name, owner)
        with self._lock:
            shown, news, entry = _resolve(self._entries.get(key), value, started)
            if entry is not None:
                self._entries[key] = entry
                self._entries.move_to_end(key)
                while len(self._entries) > self._max:
                    self._entries.popitem(last=False)
        return shown, news

    def peek(self, name: str, owner: Any, value: int, started: int) -> CounterValue:
        """The value and version to show for a value a page load read, storing nothing.

        Loads must not move the broadcast baseline: a page rendered just after a commit reads the
        new value before that commit's recompute runs, and the recompute must still broadcast it
        to every page rendered earlier.
        """
        with self._lock:
            shown, _, _ = _resolve(self._entries.get(self.key(name, owner)), value, started)
        return shown

    def stamp(self, name: str, owner: Any, value: int) -> CounterValue:
        """A value pushed by hand (`UserChannel.broadcast_counter`): always a new version."""
        started = now_version()
        key = self.key(name, owner)
        with self._lock:
            entry = self._entries.get(key)
            version = started if entry is None else max(started, entry[1] + 1)
            self._entries[key] = (value, version, started)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return CounterValue(value, version)

    def __len__(self) -> int:
        return len(self._entries)
