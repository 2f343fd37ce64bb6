"""`DisconnectWatch`: learn that an HTTP client left without a task per stream.

A streaming response must notice the client leaving, and ASGI only says so through `receive()`:
an SSE stream would keep a task parked in `receive()` for its whole life (a task, its coroutine
frame and its entry in asyncio's task set: ~1 KB per tab, and a task made per connect). Here the
server's `receive()` coroutine is stepped by hand, as a task would step it: run to the future it
waits on, resume from that future's done-callback (`_server.asyncio_steps`). A `receive()`
that waits on anything but an asyncio future (not the case on uvicorn, hypercorn or granian),
or an asyncio without the private hook this needs, gets a task after all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from typing import Any

from starlette.types import Receive

from .._server.asyncio_steps import park
from .._utils import resume

__all__ = ["DisconnectWatch"]


class DisconnectWatch:
    __slots__ = ("_on_disconnect", "_receive", "_steps", "_task", "_waiting")

    def __init__(self, receive: Receive, on_disconnect: Callable[[], None]) -> None:
        self._receive = receive
        self._on_disconnect = on_disconnect
        self._steps: Generator[Any, None, Any] | None = None
        self._waiting: asyncio.Future[Any] | None = None
        self._task: asyncio.Task[None] | None = None
        self._receive_next()

    def stop(self) -> None:
        """Stop watching (the stream ended first); `receive()` is closed where it waits."""
        steps, self._steps = self._steps, None
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            waiting.remove_done_callback(self._step)
        if steps is not None:
            steps.close()
        if self._task is not None:
            self._task.cancel()

    def _receive_next(self) -> None:
        self._steps = self._receive().__await__()
        self._step(None)

    def _step(self, resolved: asyncio.Future[Any] | None) -> None:
        steps = self._steps
        if steps is None:
            return  # stopped
        self._waiting = None
        try:
            # As a task resumes what awaits a future: the future's own `__await__` then returns
            # its result or raises its exception inside `receive()`.
            waiting = steps.send(None)
        except StopIteration as done:
            self._received(done.value)
            return
        except BaseException:  # the server's receive failed: treat as gone
            self._steps = None
            self._on_disconnect()
            return
        if park(waiting, self._step):
            self._waiting = waiting
        else:
            self._steps = None
            self._task = asyncio.ensure_future(self._in_a_task(resume(steps, waiting)))

    def _received(self, message: Any) -> None:
        self._steps = None
        if isinstance(message, dict) and message.get("type") == "http.disconnect":
            self._on_disconnect()
        else:
            self._receive_next()  # a request body part: keep listening

    async def _in_a_task(self, rest: Any) -> None:
        message = await rest
        while not (isinstance(message, dict) and message.get("type") == "http.disconnect"):
            message = await self._receive()
        self._on_disconnect()
