"""`LightQueue` and `LightEvent`: the parts of `asyncio.Queue` and `asyncio.Event` a server's
protocol uses per connection, without their per-instance cost.

An `asyncio.Queue` holds three deques and an `asyncio.Event` (itself a deque): with the
`Event` a protocol keeps for flow control, ~4 KB per connection, most of it empty deques.
Here the storage and the waiters are made only while they are in use. Semantics are the
subset's: FIFO, unbounded, `get` waits until an item is there; `wait` returns once the event is
set. Only for one event loop, as asyncio's own.
"""

from __future__ import annotations

import asyncio
from typing import Generic, TypeVar

__all__ = ["LightEvent", "LightQueue"]

T = TypeVar("T")


class LightQueue(Generic[T]):
    """`put_nowait`, `get`, `get_nowait`, `empty`, `qsize` of an unbounded `asyncio.Queue`."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[T] | None = None  # receive queues hold one or two items at a time
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: T) -> None:
        items = self._items
        if items is None:
            self._items = [item]
        else:
            items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def get_nowait(self) -> T:
        items = self._items
        if not items:
            raise asyncio.QueueEmpty
        item = items.pop(0)
        if not items:
            self._items = None
        return item

    async def get(self) -> T:
        while not self._items:
            waiter = self._waiter
            if waiter is None or waiter.done():
                waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                if self._waiter is waiter and waiter.done():
                    self._waiter = None
        return self.get_nowait()

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items or ())


class LightEvent:
    """`set`, `clear`, `is_set`, `wait` of an `asyncio.Event`."""

    __slots__ = ("_value", "_waiters")

    def __init__(self) -> None:
        self._value = False
        # One future per waiter (a cancelled waiter must not cancel the others'), held as itself
        # while it is the only one: a protocol's event has one waiter almost always.
        self._waiters: asyncio.Future[None] | list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._value

    def set(self) -> None:
        if self._value:
            return
        self._value = True
        waiters, self._waiters = self._waiters, None
        if waiters is None:
            return
        for waiter in waiters if isinstance(waiters, list) else (waiters,):
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._value = False

    async def wait(self) -> bool:
        if self._value:
            return True
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters = self._waiters
        if waiters is None:
            self._waiters = waiter
        elif isinstance(waiters, list):
            waiters.append(waiter)
        else:
            self._waiters = [waiters, waiter]
        try:
            await waiter
            return True
        finally:
            waiters = self._waiters
            if waiters is waiter:
                self._waiters = None
            elif isinstance(waiters, list) and waiter in waiters:
                waiters.remove(waiter)

    def __repr__(self) -> str:
        return f"<LightEvent {'set' if self._value else 'unset'}>"
