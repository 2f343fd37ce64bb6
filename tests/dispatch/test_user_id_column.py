"""`DispatchSettings.user_id_column`: users known by another column than their primary key (a
handle): counters, audiences and the notification actor all use it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from liveui import Dispatch, DispatchSettings, Forbidden, counter, notification_model
from liveui.testing import BroadcastRecorder


class Base(DeclarativeBase):
    pass


class Member(Base):
    __tablename__ = "uic_members"
    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(30), unique=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)


class Task(Base):
    __tablename__ = "uic_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(ForeignKey("uic_members.handle"))
    __counters__ = [
        counter("my_tasks", owner=lambda: Task.owner),
        counter("all_tasks", audience="admin"),
    ]


Note = notification_model(Base, tablename="uic_notes", user_fk="uic_members.handle")


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'uic.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield engine
    await engine.dispose()


async def test_users_known_by_a_handle(
    engine: AsyncEngine, dispatch_broadcasts: BroadcastRecorder
) -> None:
    settings = DispatchSettings(
        models=[Task], user_model=Member, user_id_column=Member.handle,
        audiences={"admin": lambda: Member.is_admin == True},  # noqa: E712 (SQL)
        notification_model=Note,
    )
    dispatch = Dispatch(settings, engine=engine, broadcast=dispatch_broadcasts)
    sessions: async_sessionmaker[Any] = async_sessionmaker(engine, expire_on_commit=False)
    dispatch.install(sessions)
    async with sessions() as s:
        s.add_all([Member(handle="ann"), Member(handle="root", is_admin=True)])
        await s.commit()
        s.add_all([Task(owner="ann"), Task(owner="ann")])
        await s.commit()
    await dispatch_broadcasts.assert_counter_broadcast("ann", "my_tasks", 2)
    await dispatch_broadcasts.assert_counter_broadcast("root", "all_tasks", 2)  # by handle
    assert await dispatch.counters.load_counters_for_user("ann") == {
        "my_tasks": 2, "unread_notifications": 0,
    }
    assert "all_tasks" in await dispatch.counters.load_counters_for_user("root")
    note = await dispatch.notify(None, "ann", title="hello")
    with pytest.raises(Forbidden):
        await dispatch.notifications.mark_as_read(note.id, actor="root")
    await dispatch.notifications.mark_as_read(note.id, actor="ann")
    await dispatch.stop()
