"""Test helpers of the pub/sub suite: recorders that tests can wait on, unique names."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from liveui import Backend, Broadcast
from tests.support.waiting import wait_until

BackendFactory = Callable[..., Awaitable[Backend]]


class Inbox:
    """A backend handler that records (channel, data) and lets a test wait for a count."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self._changed = asyncio.Event()

    def __call__(self, channel: str, data: bytes) -> None:
        self.messages.append((channel, data))
        self._changed.set()

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[str, bytes]]:
        await wait_until(lambda: len(self.messages) >= count, self._changed, timeout,
                         lambda: f"{len(self.messages)} of {count} messages arrived")
        return self.messages


class Probe:
    """A hub subscriber that records broadcasts."""

    def __init__(self) -> None:
        self.received: list[Broadcast] = []
        self._changed = asyncio.Event()

    def deliver(self, message: Broadcast) -> None:
        self.received.append(message)
        self._changed.set()

    @property
    def events(self) -> list[tuple[str, Any]]:
        return [(m.event, m.payload) for m in self.received]

    async def wait_for_event(self, event: str, timeout: float = 5.0) -> None:
        await wait_until(lambda: any(m.event == event for m in self.received), self._changed,
                         timeout, lambda: f"{event!r} not among {self.events[-5:]}")

    async def wait_for(self, count: int, timeout: float = 5.0) -> None:
        await wait_until(lambda: len(self.received) >= count, self._changed, timeout,
                         lambda: f"{len(self.received)} of {count} broadcasts arrived")


def unique(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


ACROSS_NODES = pytest.mark.parametrize("backend_kind", ["redis", "postgres"], indirect=True)
"""For behaviour that needs a second node: the memory backend reaches one process only."""
