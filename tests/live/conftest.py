"""Live fixtures: a real Dispatch on SQLite (unique tables per test) wired to a started LiveUI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from liveui import Dispatch, DispatchSettings, Node
from liveui.testing import live_harness
from tests.live.world import World, make_models


@pytest_asyncio.fixture
async def world(tmp_path: Any) -> AsyncIterator[World]:
    Base, User, Order, Notification = make_models()
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'live.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    node = Node()
    dispatch = Dispatch(
        DispatchSettings(models=[Order], user_model=User, notification_model=Notification,
                         coalesce_window=0.002),
        node=node,
        engine=engine,
    )
    dispatch.install(sessions)
    try:
        async with live_harness(dispatch=dispatch, node=node) as harness:
            yield World(User, Order, Notification, engine, sessions, dispatch, harness)
    finally:
        await engine.dispose()
