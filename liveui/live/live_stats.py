"""`LiveStats`: what a node's live sessions did since it started, for metrics and the dev panel.

Plain counts, bumped on the hot path at the cost of an attribute increment; `liveui.metrics`
reads them when scraped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

PatchObserver = Callable[[Any, str, int, float], None]
"""`(session, component id, bytes, seconds to render and diff)` for each patch queued (the
session is a `LiveSession`, which counts in these stats: named here by position only)."""

__all__ = ["LiveStats", "PatchObserver"]


class LiveStats:
    __slots__ = ("attaches", "closes", "connections", "observer", "patch_bytes", "patches",
                 "slow_client_drops", "writes")

    def __init__(self) -> None:
        self.connections: Counter[str] = Counter()
        """Open connections by transport ("sse", "websocket"); the transports keep it."""
        self.attaches: Counter[str] = Counter()
        """How connections found their session: "new", "joined" (a session other tabs of the
        same page share), "replay" (Last-Event-ID was still in the buffer), "resync" (it was
        not: everything re-rendered from the database) or "split" (the tab left a shared
        session: it got its own, mounted from the database)."""
        self.closes: Counter[str] = Counter()
        """Connections the server closed, by close code."""
        self.slow_client_drops = 0
        """Connections closed because too many patches were pending for them."""
        self.patches = 0
        """Component patches rendered (each component's changes, one per re-render)."""
        self.patch_bytes = 0
        self.writes = 0
        """Patches written to tabs: a loop turn's component patches of one tab go as one."""
        self.observer: PatchObserver | None = None
        """Sees every patch (the dev panel's recorder); None costs nothing."""
