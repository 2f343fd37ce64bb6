"""`Dispatch.install` on every kind of target it documents: a Session subclass (every session
of that class), one session instance (that session only), and what it refuses."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from liveui import Dispatch
from liveui.testing import BroadcastRecorder
from tests.support.dispatch_schema import Schema, settings_for


def _add_user_and_orders(session: Session, schema: Schema, orders: int) -> int:
    user = schema.User(name="u")
    session.add(user)
    session.flush()
    session.add_all([schema.Order(user_id=user.id) for _ in range(orders)])
    session.commit()
    return int(user.id)


async def test_a_session_class_hooks_every_session_of_that_class(
    schema: Schema, database_url: str, engine: Any, dispatch_broadcasts: BroadcastRecorder
) -> None:
    sync_engine = create_engine(database_url)

    class AppSession(Session):
        pass

    dispatch = Dispatch(settings_for(schema), engine=sync_engine, broadcast=dispatch_broadcasts)
    dispatch.install(AppSession)
    await dispatch.start()
    try:
        def work() -> tuple[int, int]:
            with AppSession(sync_engine) as hooked, Session(sync_engine) as plain:
                return _add_user_and_orders(hooked, schema, 2), _add_user_and_orders(
                    plain, schema, 1)

        hooked_user, plain_user = await asyncio.to_thread(work)
        await dispatch_broadcasts.assert_counter_broadcast(hooked_user, "pending_orders", 2)
        await dispatch_broadcasts.refute_counter_broadcast(dispatch, plain_user)
    finally:
        await dispatch.stop()
        sync_engine.dispose()


async def test_one_session_instance_is_hooked_alone(
    schema: Schema, database_url: str, engine: Any, dispatch_broadcasts: BroadcastRecorder
) -> None:
    sync_engine = create_engine(database_url)
    dispatch = Dispatch(settings_for(schema), engine=sync_engine, broadcast=dispatch_broadcasts)
    await dispatch.start()
    try:
        def work() -> tuple[int, int]:
            with Session(sync_engine) as hooked, Session(sync_engine) as plain:
                dispatch.install(hooked)
                return _add_user_and_orders(hooked, schema, 3), _add_user_and_orders(
                    plain, schema, 1)

        hooked_user, plain_user = await asyncio.to_thread(work)
        await dispatch_broadcasts.assert_counter_broadcast(hooked_user, "pending_orders", 3)
        await dispatch_broadcasts.refute_counter_broadcast(dispatch, plain_user)
    finally:
        await dispatch.stop()
        sync_engine.dispose()


def test_the_async_session_class_and_other_objects_are_refused(schema: Schema) -> None:
    dispatch = Dispatch(settings_for(schema))
    with pytest.raises(TypeError, match="async_sessionmaker"):
        dispatch.install(AsyncSession)
    with pytest.raises(TypeError, match="cannot install"):
        dispatch.install(object())
