"""`Node`: liveui's runtime in one process — the pub/sub hub, the shared ticker, the hand-off to
the event loop, and the one lifespan that starts and stops everything in order.

    node = Node(pubsub_url="redis://localhost:6379/0")
    dispatch = Dispatch(settings, node=node, engine=engine)     # produces broadcasts
    endpoint = Endpoint(node)                                   # JSON channels (phoenix.js)
    live = LiveUI(node=node, dispatch=dispatch, ...)            # live components over SSE/WS
    app = Starlette(routes=[...], lifespan=node.lifespan)

Each layer receives the node and registers itself as a part with a `Stage`; nothing reaches
pub/sub through another layer. Start order: hub, ticker, then the parts by stage (producers
first); stop order is the reverse, so the views close their connections before dispatch
finishes its last recounts, and the hub stops last, flushing what is still to be published.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import gc
import logging
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from .auth.revocations import Revocations
from .pubsub.backends.base import Backend
from .pubsub.backends.factory import backend_from_url
from .pubsub.hub import Hub
from .ticker import Ticker
from .worker_processes import SEVERAL_WORKERS, worker_processes

__all__ = ["Node", "NodePart", "Stage"]

log = logging.getLogger("liveui")


class Stage(enum.IntEnum):
    """When a part starts: lower first; parts stop in the reverse order."""

    PRODUCER = 0
    """Dispatch: recounts and notifications; stops last among parts, so its final recounts are
    still published to the other nodes."""
    SERVER = 1
    """The channel endpoint (phoenix.js connections)."""
    VIEW = 2
    """The live UI (live sessions over SSE/WebSocket); stops first."""


class NodePart(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class Node:
    def __init__(
        self,
        *,
        pubsub_url: str | None = None,
        backend: Backend | None = None,
        hub: Hub | None = None,
        tick_interval: float = 1.0,
        revocations: Revocations | None = None,
        freeze_startup_heap: bool = True,
    ) -> None:
        if hub is None:
            hub = Hub(backend if backend is not None else backend_from_url(pubsub_url))
        elif backend is not None or pubsub_url is not None:
            raise TypeError("Node: pass a hub, or a backend / pubsub_url, not both")
        self.hub = hub
        self.ticker = Ticker(tick_interval)
        self.revocations = revocations if revocations is not None else Revocations()
        """Logins ended on every node (`revoke_session`, `revoke_user`); a memory store unless
        one is given, e.g. `Revocations(SqlRevocationStore(engine))` to survive restarts."""
        self.revocations.bind(hub)
        self.ticker.add(self.revocations.tick)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._parts: list[tuple[Stage, NodePart]] = []
        self.started = False
        self.freeze_startup_heap = freeze_startup_heap
        """Once the first node of the process has started, move every object alive then (the
        app, its modules, the declarations) out of the garbage collector's reach
        (`gc.freeze()`): full collections, which a reconnect storm of thousands of clients
        triggers, then walk only what came after. Once per process; see docs/deployment.md."""

    # parts -----------------------------------------------------------------------------------
    def attach(self, part: NodePart, stage: Stage) -> None:
        """Start and stop `part` with the node (once, however often it is attached)."""
        if any(existing is part for _, existing in self._parts):
            return
        if self.started:
            raise RuntimeError("liveui: attach every part before the node starts")
        self._parts.append((stage, part))
        self._parts.sort(key=lambda entry: entry[0])

    def parts(self, kind: type[Any]) -> list[Any]:
        """The attached parts that are instances of `kind`."""
        return [part for _, part in self._parts if isinstance(part, kind)]

    # the event loop --------------------------------------------------------------------------
    def adopt_loop(self) -> None:
        """Take the running event loop (if any) as the node's, before `start`: commits made
        from worker threads are then handed to it."""
        if self.loop is None or self.loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self.loop = asyncio.get_running_loop()
                self._loop_thread = threading.get_ident()

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> bool:
        """Run `fn(*args)` on the node's event loop: now when called there, else handed over
        thread-safely. False when there is no running loop to run it on (the caller decides)."""
        loop = self.loop
        if loop is None:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return False
            fn(*args)  # not started, but on a loop: run in place
            return True
        if threading.get_ident() == self._loop_thread:
            fn(*args)
            return True
        if loop.is_closed() or not loop.is_running():
            return False
        loop.call_soon_threadsafe(fn, *args)
        return True

    # broadcasting ----------------------------------------------------------------------------
    def broadcast(
        self, topic: str, event: str, payload: Any, *, exclude: object | None = None
    ) -> None:
        """Send to every subscriber of `topic` on every node. Safe from any thread; call it only
        after the transaction that caused it committed."""
        if not self.call_soon(self.hub.broadcast, topic, event, payload, exclude):
            self.hub.broadcast(topic, event, payload, exclude)  # no loop: local delivery only

    # lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        if self.started:
            return
        self.loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._check_workers()
        await self.hub.start()
        started: list[NodePart] = []
        try:
            await self.revocations.start()  # before anything serves: old tokens stay refused
            self.ticker.start()
            for _, part in self._parts:
                await part.start()
                started.append(part)
        except BaseException:
            for part in reversed(started):
                with contextlib.suppress(Exception):
                    await part.stop()
            await self.revocations.stop()
            await self.ticker.stop()
            await self.hub.stop()
            raise
        self.started = True
        if self.freeze_startup_heap:
            _freeze_startup_heap()

    def _check_workers(self) -> None:
        """Several worker processes with a pub/sub that reaches only one: say so, loudly."""
        if self.hub.backend.is_distributed:
            return
        workers = worker_processes()
        if workers is not None and workers > 1:
            log.warning(SEVERAL_WORKERS.format(workers=workers))

    async def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        for _, part in reversed(self._parts):
            try:
                await part.stop()
            except Exception:
                log.exception("liveui: stopping %r failed", part)
        await self.revocations.stop()
        await self.ticker.stop()
        await self.hub.stop()
        self.loop = None
        self._loop_thread = None

    @contextlib.asynccontextmanager
    async def lifespan(self, app: object = None) -> AsyncIterator[None]:
        """A Starlette/FastAPI lifespan: starts the node and its parts, stops them on shutdown."""
        await self.start()
        try:
            yield
        finally:
            await self.stop()


_heap_frozen = False


def _freeze_startup_heap() -> None:
    """`gc.freeze()` once per process, after the first node started: the objects of start-up
    live as long as the process, so the collector need not walk them again. What is frozen is
    never collected: doing it once bounds that to the start-up heap (a test process that
    starts many nodes freezes only what existed at the first)."""
    global _heap_frozen
    if _heap_frozen:
        return
    _heap_frozen = True
    gc.collect()  # what start-up left as garbage is freed first, not frozen
    gc.freeze()
    log.debug("liveui: start-up heap frozen (%d objects)", gc.get_freeze_count())
