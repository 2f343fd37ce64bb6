"""`Outbox`: a session's numbered patches, kept for replay after a reconnect.

Every patch gets an id `<epoch>-<seq>`; the epoch is random per session object, so an id from a
previous server process (or another node) is recognised as unknown and answered with a full
re-render instead of a wrong replay. Bounded: beyond `capacity` the oldest patches are evicted
(a reconnect from before them gets a full re-render). Counter patches coalesce: a patch that
replaces one element supersedes the previous patch that replaced only that element, so a slow or
disconnected client receives the latest value once instead of every intermediate one.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict

__all__ = ["Outbox"]


class Outbox:
    __slots__ = ("_by_key", "_entries", "_evicted", "capacity", "epoch", "seq")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.epoch = secrets.token_hex(4)
        self.seq = 0
        self._entries: OrderedDict[int, tuple[str, str | None]] = OrderedDict()
        self._by_key: dict[str, int] = {}
        self._evicted = 0

    def append(self, text: str, coalesce_key: str | None = None) -> int:
        self.seq += 1
        seq = self.seq
        if coalesce_key is not None:
            previous = self._by_key.get(coalesce_key)
            if previous is not None:
                self._entries.pop(previous, None)
            self._by_key[coalesce_key] = seq
        self._entries[seq] = (text, coalesce_key)
        while len(self._entries) > self.capacity:
            old, (_, key) = self._entries.popitem(last=False)
            self._evicted = old
            if key is not None and self._by_key.get(key) == old:
                del self._by_key[key]
        return seq

    def event_id(self, seq: int) -> str:
        return f"{self.epoch}-{seq}"

    def parse(self, event_id: str | None) -> int | None:
        """The seq of one of this outbox's ids that can still be replayed from, else None."""
        if not event_id:
            return None
        epoch, _, number = event_id.partition("-")
        # ASCII digits only ("²".isdigit() is true) and short: anything else is a stale or
        # forged id, answered with a full resync rather than an error.
        if epoch != self.epoch or not (number.isascii() and number.isdigit()) or len(number) > 18:
            return None
        seq = int(number)
        if seq < self._evicted or seq > self.seq:
            return None
        return seq

    def after(self, cursor: int, limit: int | None = None) -> list[tuple[int, str]]:
        """Patches newer than `cursor`, oldest first (at most `limit` of the newest, if given)."""
        found: list[tuple[int, str]] = []
        for seq in reversed(self._entries):
            if seq <= cursor:
                break
            found.append((seq, self._entries[seq][0]))
            if limit is not None and len(found) >= limit:
                break
        found.reverse()
        return found

    def pending(self, cursor: int, limit: int) -> int:
        """How many patches are newer than `cursor`, counting no further than `limit + 1`."""
        return len(self.after(cursor, limit + 1))

    def __len__(self) -> int:
        return len(self._entries)
