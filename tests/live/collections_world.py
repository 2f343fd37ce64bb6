"""A small world for live-collection tests: users (one an admin), items with an owner, a status
and a rank, three collections over them, and the components showing them, on real SQLite with
a real Dispatch and LiveUI.

Its own models rather than tests/support/dispatch_schema.py's or tests/live/world.py's: live
collections need rows with a title, a status and a rank to filter, sort and page, and no
counters, so no counter broadcast mixes with the collection patches a test counts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jinja2
import pytest_asyncio
from sqlalchemy import ForeignKey, String, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from liveui import (
    Dispatch,
    DispatchSettings,
    LiveChart,
    LiveCollection,
    Node,
    choice,
    collection,
    pages,
    search,
    sort,
)
from liveui.testing import LiveHarness, live_harness

ROW = '<li id="{{ row_id }}" data-item-id="{{ row.id }}" data-status="{{ row.status }}">' \
      '{{ row.title }}</li>'
TABLE_ROW = '<tr id="{{ row_id }}" data-item-id="{{ row.id }}"><td>{{ row.title }}</td></tr>'
TABLE = ('<div id="{{ id }}" {{ attrs }}><table><thead><tr><th>Title</th></tr></thead>'
         '{{ rows }}</table>{{ empty }}{{ more }}</div>')


class MyItems(LiveCollection):
    name = "test_my_items"
    collection = "my_items"
    row_template = "item_row.html"
    limit = 3


class AllOpenItems(LiveCollection):
    name = "test_all_open_items"
    collection = "all_open_items"
    row_template = "item_table_row.html"
    template = "item_table.html"
    rows_tag = "tbody"
    limit = 50


class RankedItems(LiveCollection):
    name = "test_ranked_items"
    collection = "ranked_items"
    row_template = "item_row.html"
    limit = 3


ITEM_VIEW = (
    choice("status", "all", "open", "closed", filter="status"),
    search("q"),
    sort("sort", "rank", "inserted", default="-inserted"),
    pages("pages", most=5),
)


class ViewedItems(LiveCollection):
    """The user's items as the person chooses to see them: a status, a search, a sort."""

    name = "test_viewed_items"
    collection = "viewed_items"
    row_template = "item_row.html"
    limit = 3
    view_params = ITEM_VIEW


class MyItemsPerMinute(LiveChart):
    name = "test_my_items_per_minute"
    collection = "my_items"
    window = 10 * 60


class OpenItemsPerMinute(LiveChart):
    name = "test_open_items_per_minute"
    collection = "all_open_items"
    window = 10 * 60


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class World:
    User: Any
    Item: Any
    engine: AsyncEngine
    sessions: async_sessionmaker[Any]
    dispatch: Dispatch
    harness: LiveHarness

    async def add_user(self, name: str, admin: bool = False) -> int:
        async with self.sessions() as s:
            user = self.User(name=name, is_admin=admin)
            s.add(user)
            await s.commit()
            return int(user.id)

    async def add_item(self, user_id: int, title: str = "item", status: str = "open",
                       rank: int = 0) -> int:
        async with self.sessions() as s:
            item = self.Item(user_id=user_id, title=title, status=status, rank=rank)
            s.add(item)
            await s.commit()
            return int(item.id)

    async def change(self, item_id: int, **values: Any) -> None:
        async with self.sessions() as s:
            item = await s.get(self.Item, item_id)
            assert item is not None
            for key, value in values.items():
                setattr(item, key, value)
            await s.commit()

    async def delete(self, item_id: int) -> None:
        async with self.sessions() as s:
            item = await s.get(self.Item, item_id)
            await s.delete(item)
            await s.commit()

    async def bulk_close(self, item_ids: list[int]) -> None:
        """An UPDATE statement the session hooks cannot see: announced with touch_rows."""
        async with self.sessions() as s:
            await s.execute(update(self.Item).where(self.Item.id.in_(item_ids))
                            .values(status="closed"))
            for name in ("my_items", "all_open_items", "ranked_items"):
                self.dispatch.touch_rows(name, item_ids, session=s)
            await s.commit()

    async def settle(self) -> None:
        """Every committed change read and handed to the sessions."""
        await self.dispatch.wait_idle()
        await self.harness.live.feed.idle()


def make_models() -> tuple[type[DeclarativeBase], Any, Any]:
    prefix = "c" + uuid.uuid4().hex[:10]

    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = f"{prefix}_users"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), default="")
        is_admin: Mapped[bool] = mapped_column(default=False)

    class Item(Base):
        __tablename__ = f"{prefix}_items"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey(f"{prefix}_users.id"), index=True)
        title: Mapped[str] = mapped_column(String(50), default="")
        status: Mapped[str] = mapped_column(String(20), default="open")
        rank: Mapped[int] = mapped_column(default=0)
        inserted_at: Mapped[datetime] = mapped_column(default=utcnow)
        __collections__ = [
            collection("my_items", owner=lambda: Item.user_id,
                       order_by=lambda: [Item.id.desc()]),
            collection("all_open_items", where=lambda: Item.status == "open", audience="admin",
                       order_by=lambda: [Item.id]),
            collection("ranked_items", where=lambda: Item.status == "open",
                       owner=lambda: Item.user_id, order_by=lambda: [Item.rank]),
            collection("viewed_items", owner=lambda: Item.user_id,
                       order_by=lambda: [Item.id.desc()],
                       filters={"status": lambda: Item.status},
                       search=lambda: [Item.title],
                       sorts={"rank": lambda: Item.rank, "inserted": lambda: Item.id}),
        ]

    return Base, User, Item


@pytest_asyncio.fixture
async def world(tmp_path: Any) -> AsyncIterator[World]:
    Base, User, Item = make_models()
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'collections.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    node = Node()
    dispatch = Dispatch(
        DispatchSettings(models=[Item], user_model=User,
                         audiences={"admin": User.is_admin.is_(True)}, coalesce_window=0.002),
        node=node,
        engine=engine,
    )
    dispatch.install(sessions)
    env = jinja2.Environment(loader=jinja2.DictLoader({
        "item_row.html": ROW, "item_table_row.html": TABLE_ROW, "item_table.html": TABLE,
    }))
    try:
        async with live_harness(dispatch=dispatch, node=node) as harness:
            harness.live.use_environment(env)
            yield World(User, Item, engine, sessions, dispatch, harness)
    finally:
        await engine.dispose()
