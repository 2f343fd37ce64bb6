"""Resuming a hand-stepped coroutine when the future it waits on is done, as a task would.

asyncio's tasks and futures agree through a private attribute: a future yielded by
`__await__` has `_asyncio_future_blocking` set, and whoever steps the coroutine clears it and
waits for the future. `DisconnectWatch` steps an SSE stream's `receive()` this way so that no
task per stream is needed; where the attribute is gone it gets a task after all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from .reliances import stock_fallback

__all__ = ["park"]


def park(waiting: Any, resume: Callable[[asyncio.Future[Any]], None]) -> bool:
    """Call `resume(waiting)` once `waiting` — what a stepped coroutine yielded — is done, and
    return True; False when it is not an asyncio future this can wait on (run it in a task)."""
    if not (asyncio.isfuture(waiting) and getattr(waiting, "_asyncio_future_blocking", False)):
        return False
    if stock_fallback("asyncio_steps"):
        return False
    waiting._asyncio_future_blocking = False
    waiting.add_done_callback(resume)
    return True
