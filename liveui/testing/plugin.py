"""The liveui pytest plugin (registered through the `pytest11` entry point).

Fixtures:
- `channel_endpoint`: an `Endpoint` on a started in-memory node, stopped after the test.
- `dispatch_broadcasts`: records what dispatch broadcasts (`assert_counter_broadcast(...)`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from ..channels.endpoint import Endpoint
from .dispatch import dispatch_broadcasts

__all__ = ["channel_endpoint", "dispatch_broadcasts"]


@pytest_asyncio.fixture
async def channel_endpoint() -> AsyncIterator[Endpoint]:
    endpoint = Endpoint()
    await endpoint.node.start()
    try:
        yield endpoint
    finally:
        await endpoint.node.stop()
