"""`PatchFlusher`: writes what one loop turn changed in a tab as one patch.

A commit reaches a tab as several broadcasts — each counter it moved, the rows it changed, a
notification — delivered one after the other in the same loop turn. Each one re-renders what
listens to it; instead of a write per component, a session collects its patches and asks the
flusher to write them, which it does once per loop turn for every session that asked (one
callback for all of them, not one per session): one SSE event or one WebSocket frame per tab
per commit, and nothing waits for a timer.

A session that was told rows it shows changed (`rows_changed`) also waits for the read of them
that follows (`rows_read`, from the node's collection feed, usually a millisecond or two after
the node is done with the commit's other broadcasts), so the badge and the row of one commit
still leave together. A failed read says so (`rows_unread`) and the session writes what it has.
`max_hold` (1 s) is the safety net for a read that never comes (the feed stopped): it is not a
latency budget — a busy node delivering a commit to thousands of tabs takes longer than a read.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

__all__ = ["MAX_HOLD", "PatchFlusher"]

log = logging.getLogger("liveui.live")

MAX_HOLD = 1.0
"""Seconds a session's patches may wait for the row read its commit announced, at most."""


class Flushable(Protocol):
    def flush(self) -> bool:
        """Write what is queued as one patch; False when it must wait for a row read."""

    def held_since(self) -> float:
        """When it began waiting for a row read (`time.monotonic()`); 0.0: it is not."""

    def release(self) -> None:
        """Stop waiting for the row read and write what is queued."""


class PatchFlusher:
    __slots__ = ("_dirty", "_held", "_timer", "max_hold")

    def __init__(self, max_hold: float = MAX_HOLD) -> None:
        self.max_hold = max_hold
        self._dirty: list[Flushable] = []
        self._held: list[Flushable] = []
        self._timer: asyncio.TimerHandle | None = None

    def mark(self, session: Flushable) -> None:
        """`session` has patches queued: write them at the end of this loop turn."""
        dirty = self._dirty
        if not dirty:
            try:
                asyncio.get_running_loop().call_soon(self._flush)
            except RuntimeError:  # no loop running (a script): write now
                session.flush()
                return
        dirty.append(session)

    def flush_now(self) -> None:
        """Write what every session queued now, not at the end of the loop turn (tests)."""
        self._flush()

    def _flush(self) -> None:
        dirty, self._dirty = self._dirty, []
        for session in dirty:
            try:
                if not session.flush():
                    self._hold(session)
            except Exception:  # one session's failure must not strand the others' patches
                log.exception("liveui: writing the patches of %r failed", session)

    def _hold(self, session: Flushable) -> None:
        self._held.append(session)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.max_hold, self._release)

    def _release(self) -> None:
        """Release the sessions that have waited `max_hold` for their read; the others (they
        began waiting later, for a later commit) wait on."""
        self._timer = None
        now = time.monotonic()
        waiting: list[Flushable] = []
        earliest = now
        for session in self._held:
            since = session.held_since()
            if not since:
                continue  # its read came
            if now - since >= self.max_hold:
                try:
                    session.release()
                except Exception:
                    log.exception("liveui: writing the patches of %r failed", session)
            else:
                waiting.append(session)
                earliest = min(earliest, since)
        self._held = waiting
        if waiting:
            delay = earliest + self.max_hold - now
            self._timer = asyncio.get_running_loop().call_later(delay, self._release)

    @property
    def holding(self) -> int:
        """Sessions whose patches wait for a row read now."""
        return len({id(s) for s in self._held if s.held_since()})
