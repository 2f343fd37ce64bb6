"""`LiveConnection`: one open SSE stream or WebSocket of a session, read by its transport.

The session appends patches to its outbox and wakes its connections; each connection keeps a
cursor (the last patch it wrote) and its transport drains what is newer. Heartbeats are requested
by the registry's check on the shared ticker, never by a timer of the connection's own.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from ..close_codes import CloseCode

if TYPE_CHECKING:
    from .session_view import SessionView

__all__ = ["DirectWriter", "Fresh", "LiveConnection", "Outgoing"]

log = logging.getLogger("liveui.live")


@dataclass(frozen=True, slots=True)
class Outgoing:
    kind: Literal["patch", "ping", "close"]
    event_id: str = ""
    text: str = ""
    code: CloseCode = CloseCode.TRY_AGAIN
    """For `close`: why, for the WebSocket (the SSE stream only tells the reason)."""


_last_taken: tuple[object, int, Outgoing] = (None, 0, Outgoing("patch"))
"""The last single patch taken (outbox, seq, item): see `LiveConnection._take_patches`."""


@dataclass(frozen=True, slots=True)
class Fresh:
    """The one patch a session's flush just appended, taken once for all its connections:
    a connection one patch behind writes `items` as they are (see `LiveConnection.wake`)."""

    seq: int
    items: list[Outgoing]
    """[the patch]: one list and one item for every tab (the transports encode it once)."""
    now: float


class DirectWriter(Protocol):
    def write_now(self, items: list[Outgoing]) -> Awaitable[None] | None:
        """Write `items` in the caller; None when done, else what the transport's task must
        still await (the rest of a write that has to wait, under the transport's timeout)."""


class LiveConnection:
    __slots__ = (
        "_close_code", "_closing", "_ping", "_restart", "_unfinished", "_waiter", "cursor",
        "direct", "last_write", "max_pending", "session", "tab",
    )

    def __init__(
        self, session: SessionView, cursor: int, *, max_pending: int, tab: str = ""
    ) -> None:
        self.session = session
        """The session it reads: the tab's own, or the one the tabs showing the same page
        share (it changes when the tab leaves it: `SessionRegistry.own`)."""
        self.tab = tab
        """The id of the page (tab) it belongs to."""
        self.cursor = cursor
        self.max_pending = max_pending
        self.last_write = time.monotonic()
        # A bare future while the transport waits, not an asyncio.Event: the Event and its
        # waiter deque cost ~700 bytes per connection, and only one reader ever waits.
        self._waiter: asyncio.Future[None] | None = None
        self._ping = False
        self.direct: DirectWriter | None = None
        """Set by a transport that can write in the caller: see `wake`."""
        self._unfinished: Awaitable[None] | None = None
        self._restart: Callable[[], object] | None = None
        """Set while the transport rests with no task (`rest`): starts one."""
        self._closing: str | None = None
        self._close_code = CloseCode.TRY_AGAIN

    @property
    def closing(self) -> str | None:
        return self._closing

    def wake(self, fresh: Fresh | None = None) -> None:
        """Write what is new, or have the transport's task write it. `fresh`: the patch just
        appended, for a connection that has written everything before it."""
        if (
            fresh is not None
            and self.cursor == fresh.seq - 1
            and self.direct is not None
            and self._unfinished is None
            and self._parked()
        ):
            # The common case of a broadcast, a thousand times over in a shared session: no
            # outbox walk, no item of its own.
            self.cursor = fresh.seq
            self.last_write = fresh.now
            try:
                self._unfinished = self.direct.write_now(fresh.items)
            except Exception as exc:  # the client is gone: the transport's task ends
                self.close(f"write failed: {exc!r}"[:120])
                return
            if self._unfinished is not None:
                self._notify()
            return
        outbox = self.session.outbox
        # Newer seqs than the cursor bound what is pending (coalescing only removes): counted
        # only when that bound is over the limit.
        if outbox.seq - self.cursor > self.max_pending and (
            outbox.pending(self.cursor, self.max_pending) > self.max_pending
        ):
            # Overflow policy "disconnect": the client reconnects and resyncs from the database.
            if self._closing is None:
                session = self.session
                session.stats.slow_client_drops += 1
                log.info(
                    "liveui: %r is too slow (over %d patches pending); closing with 1013",
                    session, self.max_pending,
                    extra={"liveui_user": str(session.user_id),
                           "liveui_session": session.session_id},
                )
            self.close("slow client: too many patches pending")
        elif self.direct is not None and self._unfinished is None and self._parked():
            # The transport is idle, waiting in `next`: write the new patches here, in the
            # caller, instead of waking its task for each one — one broadcast to a thousand
            # tabs then costs no task switch per tab. A write that has to wait (a full socket)
            # is left to the transport's task to finish, with its timeout.
            items = self._take_patches()
            if not items:
                return
            try:
                self._unfinished = self.direct.write_now(items)
            except Exception as exc:  # the client is gone: the transport's task ends
                self.close(f"write failed: {exc!r}"[:120])
                return
            if self._unfinished is None:
                return
        self._notify()

    def _parked(self) -> bool:
        if self._closing is not None:
            return False
        waiter = self._waiter
        return self._restart is not None or (waiter is not None and not waiter.done())

    def rest(self, restart: Callable[[], object] | None) -> None:
        """The transport's task ends instead of waiting in `next`: patches are written in the
        caller (`direct`), and `restart` is called to start a task when there is what only a
        task can write — a ping, a close, the rest of a write that has to wait. A parked task
        costs ~1 KB per idle tab; a rest, a callback. None: no restarting (the transport
        ends)."""
        self._restart = restart

    def ping(self) -> None:
        self._ping = True
        self._notify()

    def close(self, reason: str, code: CloseCode = CloseCode.TRY_AGAIN) -> None:
        """End this connection; the client reconnects (1013: resync, 1012: server restart)."""
        if self._closing is None:
            self._closing = reason
            self._close_code = code
            self.session.stats.closes[str(int(code))] += 1
        self._notify()

    def _notify(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        elif self._restart is not None:
            restart, self._restart = self._restart, None
            restart()

    def marker(self) -> Outgoing:
        """A no-op patch carrying the id the client is at, so even a quiet stream has one."""
        return Outgoing("patch", self.session.outbox.event_id(self.cursor), "<!-- liveui -->")

    def _take_patches(self) -> list[Outgoing]:
        """The patches newer than the cursor, which moves past them."""
        global _last_taken
        outbox = self.session.outbox
        pending = outbox.after(self.cursor)
        if not pending:
            return []
        self.cursor = pending[-1][0]
        self.last_write = time.monotonic()
        if len(pending) == 1:
            # The tabs sharing a session take the same newest patch: one item for all of them
            # (the transport then encodes its frame once).
            seq, text = pending[0]
            last_outbox, last_seq, last_item = _last_taken
            if last_outbox is outbox and last_seq == seq and last_item.text is text:
                return [last_item]
            item = Outgoing("patch", outbox.event_id(seq), text)
            _last_taken = (outbox, seq, item)
            return [item]
        return [Outgoing("patch", outbox.event_id(seq), text) for seq, text in pending]

    async def next(self, *, wait: bool = True) -> list[Outgoing]:
        """Wait for something to write; a `close` item is always the last one. `wait=False`:
        an empty list when there is nothing (the caller then `rest`s, in the same step)."""
        while True:
            unfinished = self._unfinished
            if unfinished is not None:  # a direct write that had to wait: finish it first
                self._unfinished = None
                await unfinished
            if self._closing is not None:
                return [Outgoing("close", text=self._closing, code=self._close_code)]
            items = self._take_patches()
            if self._ping and not items:
                items.append(Outgoing("ping"))
            self._ping = False
            if items:
                self.last_write = time.monotonic()
                return items
            if not wait:
                return items
            del items  # not held while parked: one list per idle tab, thousands of them
            # Nothing to write: wait for the next notify (state is re-read above on waking).
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None
