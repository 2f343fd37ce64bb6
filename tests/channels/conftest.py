"""Fixtures of the channels suite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from liveui import Dispatch, Endpoint, Node
from tests.support.dispatch_schema import Schema, settings_for


@pytest_asyncio.fixture
async def live(
    schema: Schema, engine: AsyncEngine, sessions: async_sessionmaker[Any]
) -> AsyncIterator[Dispatch]:
    node = Node()
    Endpoint(node)
    dispatch = Dispatch(settings_for(schema), node=node, engine=engine)
    dispatch.install(sessions)
    await node.start()
    try:
        yield dispatch
    finally:
        await node.stop()
