"""Waiting on conditions instead of sleeping: async (the test's event loop) and blocking (a test
thread that drives other processes). Both fail with a description when time runs out."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["block_until", "wait_until"]

T = TypeVar("T")


async def wait_until(
    condition: Callable[[], bool],
    changed: asyncio.Event | None = None,
    timeout: float = 5.0,
    describe: Callable[[], str] = lambda: "condition not met",
) -> None:
    """Wait for `condition`, woken by `changed` (or polling); fail with `describe()` on timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"timed out after {timeout}s: {describe()}")
        if changed is None:
            await asyncio.sleep(min(0.01, remaining))
            continue
        changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), min(0.1, remaining))


def block_until(condition: Callable[[], T], timeout: float = 15.0, what: str = "") -> T:
    """Poll `condition` until it returns something truthy and return that; fail after
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(0.05)
