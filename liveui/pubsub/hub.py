"""The hub: the one place a broadcast goes through.

It delivers each broadcast to this node's subscribers directly, and hands one small envelope to
the backend so other nodes can do the same; envelopes coming back from the backend that this node
sent itself are ignored, so nothing is delivered twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from .base import Backend
from .broadcast import Broadcast, Subscriber
from .memory import MemoryBackend

__all__ = ["Hub"]

log = logging.getLogger("liveui.pubsub")

CHANNEL_PREFIX = "liveui:"


class Hub:
    """Local topic registry plus a backend for reaching the other nodes.

    `broadcast` may be called from any thread (a sync SQLAlchemy hook in a threadpool); delivery
    always happens on the hub's event loop.
    """

    def __init__(self, backend: Backend | None = None, *, publish_queue_size: int = 10_000) -> None:
        self.backend = backend if backend is not None else MemoryBackend()
        self.node_id = uuid.uuid4().hex[:16]
        self._topics: dict[str, dict[Subscriber, None]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._outbox: deque[tuple[str, bytes]] = deque()
        self._outbox_limit = publish_queue_size
        self._outbox_dropped = 0
        self._outbox_ready = asyncio.Event()
        self._publisher: asyncio.Task[None] | None = None
        self._resync_listeners: list[Callable[[], Awaitable[None] | None]] = []
        self.started = False

    # lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        if self.started:
            return
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._outbox_ready = asyncio.Event()
        self.backend.set_handler(self._on_backend_message)
        await self.backend.start()
        if self._topics and self.backend.is_distributed:
            await self.backend.subscribe([CHANNEL_PREFIX + t for t in self._topics])
        if self.backend.is_distributed:
            self._publisher = asyncio.create_task(self._publish_loop(), name="liveui-hub-publisher")
        self.started = True

    async def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        if self._publisher is not None:
            self._publisher.cancel()
            try:
                await self._publisher
            except asyncio.CancelledError:
                pass
            self._publisher = None
        await self.backend.stop()

    # subscriptions -------------------------------------------------------------------------
    def subscribe(self, topic: str, subscriber: Subscriber) -> None:
        subscribers = self._topics.get(topic)
        if subscribers is None:
            subscribers = self._topics[topic] = {}
            self._backend_call(self.backend.subscribe, topic)
        subscribers[subscriber] = None

    def unsubscribe(self, topic: str, subscriber: Subscriber) -> None:
        subscribers = self._topics.get(topic)
        if subscribers is None:
            return
        subscribers.pop(subscriber, None)
        if not subscribers:
            del self._topics[topic]
            self._backend_call(self.backend.unsubscribe, topic)

    def subscriber_count(self, topic: str) -> int:
        return len(self._topics.get(topic, ()))

    def topics(self) -> list[str]:
        return list(self._topics)

    def on_resync(self, listener: Callable[[], Awaitable[None] | None]) -> None:
        """Register a callback run after the backend recovered from an outage (messages may be lost)."""
        self._resync_listeners.append(listener)

    async def resync(self) -> None:
        """Tell every listener that messages may have been lost; they reload from the database."""
        for listener in list(self._resync_listeners):
            try:
                result = listener()
                if result is not None:
                    await result
            except Exception:
                log.exception("liveui: resync listener failed")

    # broadcasting --------------------------------------------------------------------------
    def broadcast(self, topic: str, event: str, payload: Any, exclude: object | None = None) -> None:
        """Deliver to local subscribers now and publish once for the other nodes."""
        loop = self._loop
        if loop is not None and threading.get_ident() != self._loop_thread:
            if loop.is_closed():
                return
            loop.call_soon_threadsafe(self._broadcast, topic, event, payload, exclude)
            return
        self._broadcast(topic, event, payload, exclude)

    def _broadcast(self, topic: str, event: str, payload: Any, exclude: object | None) -> None:
        self.deliver_local(Broadcast(topic, event, payload, exclude))
        if self.backend.is_distributed and self.started:
            envelope = json.dumps(
                {"n": self.node_id, "t": topic, "e": event, "p": payload}, separators=(",", ":")
            ).encode()
            self._enqueue_publish(CHANNEL_PREFIX + topic, envelope)

    def deliver_local(self, message: Broadcast) -> None:
        subscribers = self._topics.get(message.topic)
        if not subscribers:
            return
        for subscriber in list(subscribers):
            try:
                subscriber.deliver(message)
            except Exception:
                log.exception("liveui: subscriber %r failed on %r", subscriber, message)

    # backend plumbing ----------------------------------------------------------------------
    def _backend_call(
        self, method: Callable[[list[str]], Awaitable[None]], topic: str
    ) -> None:
        if not (self.started and self.backend.is_distributed):
            return
        task = asyncio.ensure_future(method([CHANNEL_PREFIX + topic]))
        task.add_done_callback(_log_failure)

    def _enqueue_publish(self, channel: str, data: bytes) -> None:
        if len(self._outbox) >= self._outbox_limit:
            # Overflow policy "drop_oldest": the backend is away or slow; the resync after it
            # recovers repairs what the other nodes missed, so memory stays bounded.
            self._outbox.popleft()
            self._outbox_dropped += 1
        self._outbox.append((channel, data))
        self._outbox_ready.set()

    async def _publish_loop(self) -> None:
        while True:
            await self._outbox_ready.wait()
            self._outbox_ready.clear()
            while self._outbox:
                channel, data = self._outbox[0]
                await self.backend.publish(channel, data)
                if self._outbox and self._outbox[0] == (channel, data):
                    self._outbox.popleft()

    def _on_backend_message(self, channel: str, data: bytes) -> None:
        try:
            envelope = json.loads(data)
            if envelope.get("n") == self.node_id:
                return
            message = Broadcast(envelope["t"], envelope["e"], envelope.get("p"))
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("liveui: ignored an undecodable pub/sub message on %s", channel)
            return
        self.deliver_local(message)

    @property
    def dropped_publishes(self) -> int:
        return self._outbox_dropped


def _log_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("liveui: pub/sub backend call failed: %s", task.exception())
