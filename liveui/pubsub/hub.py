"""The hub: the one place a broadcast goes through.

It delivers each broadcast to this node's subscribers directly, and hands one small envelope to
the backend so other nodes can do the same; envelopes coming back from the backend that this node
sent itself are ignored, so nothing is delivered twice.

When the backend is away, local delivery goes on; envelopes wait in a bounded outbox (named
overflow policy) and are retried with jittered backoff. When the backend reports that inbound
messages may have been lost (an outage ended), the hub runs its resync listeners, which reload
their state from the database. When the outbox itself had to drop envelopes, the hub tells the
other nodes to resync too, with one control message once publishing works again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from typing import Any

from .._utils import stop_task
from .backends.base import Backend
from .backends.memory import MemoryBackend
from .backoff import Backoff, OutageLog
from .bounded_queue import BoundedQueue, Overflow
from .broadcast import Broadcast, Subscriber

__all__ = ["CHANNEL_PREFIX", "CONTROL_CHANNEL", "BroadcastObserver", "Hub", "ResyncListener"]

log = logging.getLogger("liveui.pubsub")

CHANNEL_PREFIX = "liveui:"
"""Backend channel of a topic: the prefix keeps liveui's channels apart from an app's own."""
CONTROL_CHANNEL = "liveui-control"
"""Hub-to-hub messages (no topic can collide with it: topics always get the prefix)."""

ResyncListener = Callable[[], Awaitable[None] | None]
BroadcastObserver = Callable[[Broadcast, bool, float], None]
"""`(message, sent_here, seconds)`: each broadcast after its local delivery (sent by this node,
or received from another), with the time delivering it to this node's subscribers took."""

# ASCII-only: any str (lone surrogates included) encodes, and every receiver can decode it.
_dumps = json.JSONEncoder(separators=(",", ":")).encode


class Hub:
    """Local topic registry plus a backend for reaching the other nodes.

    `broadcast` runs on the hub's event loop (the node hands calls from other threads over).
    It must be called after the business transaction committed: the hub publishes from its own
    backend connection, so nothing it sends can be rolled back, and nothing may announce a
    change other nodes cannot read yet.
    """

    def __init__(
        self,
        backend: Backend | None = None,
        *,
        publish_queue_size: int = 10_000,
        publish_overflow: Overflow | str = Overflow.DROP_OLDEST,
        publish_batch_size: int = 256,
        retry_initial: float = 0.05,
        retry_max: float = 5.0,
        stop_flush_timeout: float = 2.0,
    ) -> None:
        self.backend = backend if backend is not None else MemoryBackend()
        self.node_id = uuid.uuid4().hex[:16]
        self._own_prefix = b'{"n":"' + self.node_id.encode() + b'"'
        self._seq = 0
        self._topics: dict[str, dict[Subscriber, None]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._outbox: BoundedQueue[tuple[str, bytes]] = BoundedQueue(
            publish_queue_size, publish_overflow
        )
        self._batch_size = publish_batch_size
        self._in_flight: list[tuple[str, bytes]] = []
        self._drops_announced = 0
        self._retry = (retry_initial, retry_max)
        self._stop_flush_timeout = stop_flush_timeout
        self._outbox_ready = asyncio.Event()
        self._publisher: asyncio.Task[None] | None = None
        self._sub_ops: deque[tuple[bool, str]] = deque()
        self._sub_ready = asyncio.Event()
        self._subscriber_task: asyncio.Task[None] | None = None
        self._resync_listeners: list[ResyncListener] = []
        self._resync_wanted = False
        self._resync_task: asyncio.Task[None] | None = None
        self.publish_outage = OutageLog(log, "pub/sub publishing")
        self.resync_count = 0
        self.broadcasts: Counter[str] = Counter()
        """Broadcasts sent from this node, by topic class (the topic up to its first ':')."""
        self.received = 0
        """Broadcasts received from other nodes."""
        self.observer: BroadcastObserver | None = None
        """Sees every broadcast (the dev panel's recorder); None costs nothing."""
        self.started = False

    # lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        if self.started:
            return
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._outbox_ready = asyncio.Event()
        self._sub_ready = asyncio.Event()
        self.backend.set_handler(self._on_backend_message)
        self.backend.set_gap_handler(self._request_resync)
        await self.backend.start()
        if self.backend.is_distributed:
            await self.backend.subscribe(
                [CONTROL_CHANNEL, *(CHANNEL_PREFIX + t for t in self._topics)]
            )
            self._publisher = asyncio.create_task(self._publish_loop(), name="liveui-hub-publish")
            self._subscriber_task = asyncio.create_task(
                self._subscription_loop(), name="liveui-hub-subscribe"
            )
        self.started = True

    async def stop(self) -> None:
        """Stop; envelopes still waiting get `stop_flush_timeout` seconds to reach the backend."""
        if not self.started:
            return
        self.started = False
        if self._publisher is not None and (self._outbox or self._in_flight):
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._drained(), self._stop_flush_timeout)
        for task in (self._publisher, self._subscriber_task, self._resync_task):
            await stop_task(task)
        self._publisher = self._subscriber_task = self._resync_task = None
        self._sub_ops.clear()
        await self.backend.stop()

    async def _drained(self) -> None:
        while self._outbox or self._in_flight:
            await asyncio.sleep(0.01)

    # subscriptions -------------------------------------------------------------------------
    def subscribe(self, topic: str, subscriber: Subscriber) -> None:
        subscribers = self._topics.get(topic)
        if subscribers is None:
            subscribers = self._topics[topic] = {}
            self._queue_subscription(True, topic)
        subscribers[subscriber] = None

    def unsubscribe(self, topic: str, subscriber: Subscriber) -> None:
        subscribers = self._topics.get(topic)
        if subscribers is None:
            return
        subscribers.pop(subscriber, None)
        if not subscribers:
            del self._topics[topic]
            self._queue_subscription(False, topic)

    def subscriber_count(self, topic: str) -> int:
        return len(self._topics.get(topic, ()))

    def topics(self) -> list[str]:
        return list(self._topics)

    # resync ----------------------------------------------------------------------------------
    def on_resync(self, listener: ResyncListener) -> None:
        """Run `listener` after messages may have been lost (an outage ended): reload state."""
        self._resync_listeners.append(listener)

    def remove_resync(self, listener: ResyncListener) -> None:
        with contextlib.suppress(ValueError):
            self._resync_listeners.remove(listener)

    async def resync(self) -> None:
        """Tell every listener that messages may have been lost; they reload from the database."""
        self.resync_count += 1
        for listener in list(self._resync_listeners):
            try:
                result = listener()
                if result is not None:
                    await result
            except Exception:
                log.exception("liveui: resync listener failed")

    def _request_resync(self) -> None:
        # Gaps reported while a resync runs cause one more run after it, never one per report.
        self._resync_wanted = True
        if self._resync_task is None and self._loop is not None:
            self._resync_task = self._loop.create_task(self._resync_loop(), name="liveui-resync")

    async def _resync_loop(self) -> None:
        try:
            while self._resync_wanted:
                self._resync_wanted = False
                await self.resync()
        finally:
            self._resync_task = None

    # broadcasting --------------------------------------------------------------------------
    def broadcast(
        self, topic: str, event: str, payload: Any, exclude: object | None = None
    ) -> None:
        """Deliver to local subscribers now and publish once for the other nodes.

        Call it on the hub's event loop (`Node.broadcast` hands over from other threads)."""
        if self._loop_thread is not None and threading.get_ident() != self._loop_thread:
            raise RuntimeError("Hub.broadcast runs on the event loop; use Node.broadcast")
        self.broadcasts[topic.partition(":")[0]] += 1
        if self.started and self.backend.is_distributed:
            # Encode first: a payload other nodes cannot receive is refused before anyone sees it.
            self._seq += 1
            try:
                # "n" first: _on_backend_message recognises its own envelopes by this prefix;
                # "s" keeps equal broadcasts distinct (PostgreSQL folds identical NOTIFYs).
                envelope = _dumps(
                    {"n": self.node_id, "s": self._seq, "t": topic, "e": event, "p": payload}
                ).encode()
            except (TypeError, ValueError) as exc:
                raise TypeError(
                    f"liveui: the payload of {event!r} on {topic!r} is not JSON-serializable: {exc}"
                ) from exc
            self._deliver_observed(Broadcast(topic, event, payload, exclude), True)
            self._outbox.put((CHANNEL_PREFIX + topic, envelope))
            self._outbox_ready.set()
        else:
            self._deliver_observed(Broadcast(topic, event, payload, exclude), True)

    def _deliver_observed(self, message: Broadcast, sent_here: bool) -> None:
        observer = self.observer
        if observer is None:
            self.deliver_local(message)
            return
        started = time.perf_counter()
        self.deliver_local(message)
        try:
            observer(message, sent_here, time.perf_counter() - started)
        except Exception:
            log.exception("liveui: the broadcast observer failed")

    def subscriber_counts(self) -> dict[str, int]:
        """Topic -> how many local subscribers it has (for the dev panel)."""
        return {topic: len(subscribers) for topic, subscribers in self._topics.items()}

    def deliver_local(self, message: Broadcast) -> None:
        subscribers = self._topics.get(message.topic)
        if not subscribers:
            return
        for subscriber in list(subscribers):
            try:
                subscriber.deliver(message)
            except Exception:
                log.exception("liveui: subscriber %r failed on %r", subscriber, message)

    @property
    def dropped_publishes(self) -> int:
        """Envelopes the outbox discarded while the backend was away or slow."""
        return self._outbox.dropped

    @property
    def pending_publishes(self) -> int:
        return len(self._outbox) + len(self._in_flight)

    # backend plumbing ----------------------------------------------------------------------
    def _queue_subscription(self, subscribe: bool, topic: str) -> None:
        if self.started and self.backend.is_distributed:
            self._sub_ops.append((subscribe, CHANNEL_PREFIX + topic))
            self._sub_ready.set()

    async def _subscription_loop(self) -> None:
        # One task applies subscribe/unsubscribe in call order, batching runs of the same kind.
        ops = self._sub_ops
        while True:
            await self._sub_ready.wait()
            self._sub_ready.clear()
            while ops:
                kind = ops[0][0]
                channels: list[str] = []
                while ops and ops[0][0] == kind:
                    channels.append(ops.popleft()[1])
                try:
                    if kind:
                        await self.backend.subscribe(channels)
                    else:
                        await self.backend.unsubscribe(channels)
                except Exception:
                    # Backends restore subscriptions themselves; this is a bug, not an outage.
                    log.exception("liveui: pub/sub backend failed to (un)subscribe %r", channels)

    async def _publish_loop(self) -> None:
        backoff = Backoff(*self._retry)
        outbox = self._outbox
        while True:
            if not self._in_flight:
                if not outbox:
                    self._outbox_ready.clear()
                    await self._outbox_ready.wait()
                    continue
                self._in_flight = outbox.take(self._batch_size)
            try:
                await self.backend.publish_many(self._in_flight)
            except Exception as exc:  # BackendUnavailable, or a driver error: keep the batch
                self.publish_outage.failed(exc)
                await asyncio.sleep(backoff.next_delay())
                continue
            self._in_flight = []
            if self.publish_outage.recovered():
                backoff.reset()
            if outbox.dropped > self._drops_announced:
                log.warning(
                    "liveui: %d broadcasts were dropped by the outbox (%s); asking "
                    "the other nodes to resync",
                    outbox.dropped - self._drops_announced,
                    outbox.policy.value,
                )
                self._drops_announced = outbox.dropped
                # Sent next, ahead of the outbox: put into a full outbox it would drop one more
                # broadcast itself, and that drop would be announced again.
                self._in_flight = [(CONTROL_CHANNEL, self._control("resync"))]

    def _control(self, command: str) -> bytes:
        return _dumps({"n": self.node_id, "c": command}).encode()

    def _on_backend_message(self, channel: str, data: bytes) -> None:
        if data.startswith(self._own_prefix):
            return
        try:
            envelope = json.loads(data)
            if channel == CONTROL_CHANNEL:
                if envelope.get("c") == "resync":
                    self._request_resync()
                return
            message = Broadcast(envelope["t"], envelope["e"], envelope.get("p"))
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("liveui: ignored an undecodable pub/sub message on %r", channel)
            return
        self.received += 1
        self._deliver_observed(message, False)
