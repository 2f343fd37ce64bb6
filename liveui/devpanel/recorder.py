"""`Recorder`: the recent broadcasts and patches of one node, for the dev panel.

It watches the hub and, while a panel is open, the live sessions through their observer hooks
(which cost nothing while unset: a patch is recorded per tab, so that hook is only set while a
panel shows it), keeps the last `size` of each in ring buffers, and once per tick of
the node's ticker, if anything new was recorded, tells the open panels to refresh — with a local
delivery, which neither reaches other nodes nor is recorded itself.
"""

from __future__ import annotations

import itertools
import json
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..channels.endpoint import Endpoint
from ..live.app import LiveUI
from ..pubsub.broadcast import Broadcast

if TYPE_CHECKING:
    from ..live.session import LiveSession
    from ..node import Node

__all__ = ["PANEL_TOPIC", "RecordedBroadcast", "RecordedPatch", "Recorder"]

PANEL_TOPIC = "liveui:dev-panel"
"""Where the open panels hear "something new was recorded" (delivered on this node only)."""

IsAdmin = Callable[[Any], bool | Awaitable[bool]]

_recorders: weakref.WeakKeyDictionary[Node, Recorder] = weakref.WeakKeyDictionary()


@dataclass(frozen=True, slots=True)
class RecordedBroadcast:
    seq: int
    at: float
    topic: str
    event: str
    payload: Any
    size: int
    """Bytes of the payload as JSON."""
    sent_here: bool
    """Sent by this node (False: received from another node)."""
    subscribers: int
    """Local subscribers it was delivered to."""
    seconds: float
    """Time the local delivery took (re-renders included)."""


@dataclass(frozen=True, slots=True)
class RecordedPatch:
    at: float
    user: str
    session: str
    component: str
    size: int
    seconds: float
    """Time rendering and diffing the component took."""


class Recorder:
    def __init__(self, node: Node, is_admin: IsAdmin, *, size: int = 50) -> None:
        self.node = node
        self.is_admin = is_admin
        self.broadcasts: deque[RecordedBroadcast] = deque(maxlen=size)
        self.patches: deque[RecordedPatch] = deque(maxlen=size)
        self._seq = itertools.count(1)
        self._changed = False
        self._panel_ids: set[str] = set()
        self._last_shape: tuple[int, ...] = ()

    @classmethod
    def of(cls, node: Node | None) -> Recorder | None:
        return None if node is None else _recorders.get(node)

    def attach(self, panel_id: str) -> None:
        """Start recording (once per node; the hooks are the hub's and the sessions')."""
        node = self.node
        if _recorders.get(node) not in (None, self):
            raise RuntimeError("liveui: this node already has a dev panel")
        _recorders[node] = self
        self._panel_ids.add(panel_id)
        node.hub.observer = self._on_broadcast
        node.ticker.add(self._tick)

    def watch(self) -> None:
        """A panel is open: record patches too. They cost something per tab (every patch of
        every session), so only while a panel shows them; the shared tick stops recording them
        once no panel is open."""
        for live in self.node.parts(LiveUI):
            live.registry.stats.observer = self._on_patch

    def _watched(self) -> bool:
        if self.node.hub.subscriber_count(PANEL_TOPIC) > 0:
            return True
        for live in self.node.parts(LiveUI):
            live.registry.stats.observer = None
        return False

    # recording (hot path while attached) -----------------------------------------------------
    def _on_broadcast(self, message: Broadcast, sent_here: bool, seconds: float) -> None:
        try:
            size = len(json.dumps(message.payload, separators=(",", ":")))
        except (TypeError, ValueError):
            size = -1
        subscribers = self.node.hub.subscriber_count(message.topic)
        self.broadcasts.append(RecordedBroadcast(
            next(self._seq), time.time(), message.topic, message.event, message.payload, size,
            sent_here, subscribers, seconds,
        ))
        self._changed = True

    def _on_patch(self, session: LiveSession, component: str, size: int, seconds: float) -> None:
        if component in self._panel_ids:
            return  # the panel's own re-render: recording it would refresh it forever
        self.patches.append(RecordedPatch(
            time.time(), str(session.user_id), session.session_id, component, size, seconds
        ))
        self._changed = True

    def _tick(self, now: float) -> None:
        if not self._watched():
            return
        # Pages and sockets that come and go broadcast nothing: a cheap look at the counts
        # catches them too.
        shape = self._shape()
        if self._changed or shape != self._last_shape:
            self._changed = False
            self._last_shape = shape
            self.node.hub.deliver_local(Broadcast(PANEL_TOPIC, "refresh", None))

    def _shape(self) -> tuple[int, ...]:
        node = self.node
        counts = [len(live.registry) for live in node.parts(LiveUI)]
        counts += [sum(live.registry.stats.connections.values()) for live in node.parts(LiveUI)]
        counts += [len(endpoint.connections) for endpoint in node.parts(Endpoint)]
        return tuple(counts)

    # actions ---------------------------------------------------------------------------------
    def replay(self, seq: int) -> RecordedBroadcast | None:
        """Broadcast a recorded broadcast again, on every node; None when it is no longer kept."""
        for recorded in self.broadcasts:
            if recorded.seq == seq:
                self.node.broadcast(recorded.topic, recorded.event, recorded.payload)
                return recorded
        return None
