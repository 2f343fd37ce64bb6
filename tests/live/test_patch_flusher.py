"""One write per tab per commit: a commit that moves a counter, adds a row and creates a
notification reaches each tab as one patch (real SQLite, real Dispatch, the node's feed); a loop
turn's patches of a tab go as one; a tab waiting for a row read that never comes is not held
longer than `max_hold`."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import jinja2
import pytest
import pytest_asyncio
from sqlalchemy import ForeignKey, String
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from liveui import (
    Broadcast,
    Dispatch,
    DispatchSettings,
    LiveBadge,
    LiveCollection,
    Node,
    NotificationDropdown,
    collection,
    counter,
    notification_model,
)
from liveui.live.patch_flusher import PatchFlusher
from liveui.row_events import ROWS_CHANGED, ROWS_READ, RowsRead, collection_topic, rows_changed
from liveui.testing import LiveHarness, live_harness

ROW = '<li id="{{ row_id }}" data-task-id="{{ row.id }}">{{ row.title }}</li>'


class MyTasks(LiveCollection):
    name = "flusher_my_tasks"
    collection = "flusher_my_tasks"
    row_template = "task_row.html"
    limit = 5
    wait_for_reads = True


class MyTasksUnwaited(MyTasks):
    name = "flusher_my_tasks_unwaited"
    wait_for_reads = False


@dataclass
class Board:
    Task: Any
    sessions: async_sessionmaker[Any]
    dispatch: Dispatch
    harness: LiveHarness
    user: int

    async def add_task(self, title: str, *, notify: bool = False) -> int:
        async with self.sessions() as s:
            task = self.Task(user_id=self.user, title=title)
            s.add(task)
            await s.flush()
            if notify:
                await self.dispatch.notify(s, self.user, title=f"Task {title} added")
            await s.commit()
            return int(task.id)

    async def settle(self) -> None:
        await self.dispatch.wait_idle()
        await self.harness.live.feed.idle()


def _models() -> tuple[Any, Any, Any, Any]:
    prefix = "f" + uuid.uuid4().hex[:10]

    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = f"{prefix}_users"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Task(Base):
        __tablename__ = f"{prefix}_tasks"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey(f"{prefix}_users.id"), index=True)
        title: Mapped[str] = mapped_column(String(50), default="")
        __counters__ = [counter("open_tasks", owner=lambda: Task.user_id)]
        __collections__ = [
            collection("flusher_my_tasks", owner=lambda: Task.user_id,
                       order_by=lambda: [Task.id.desc()]),
        ]

    notification = notification_model(Base, tablename=f"{prefix}_notifications",
                                      user_fk=f"{prefix}_users.id")
    return Base, User, Task, notification


@pytest_asyncio.fixture
async def board(tmp_path: Any) -> AsyncIterator[Board]:
    Base, User, Task, notification = _models()
    engine: AsyncEngine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'f.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as s:
        s.add(User(id=1))
        await s.commit()
    node = Node()
    dispatch = Dispatch(
        DispatchSettings(models=[Task], user_model=User, notification_model=notification),
        node=node, engine=engine,
    )
    dispatch.install(sessions)
    try:
        async with live_harness(dispatch=dispatch, node=node) as harness:
            harness.live.use_environment(
                jinja2.Environment(loader=jinja2.DictLoader({"task_row.html": ROW})))
            yield Board(Task, sessions, dispatch, harness, 1)
    finally:
        await engine.dispose()


def _components() -> list[Any]:
    return [LiveBadge("open_tasks"), LiveBadge("open_tasks", id="nav-open-tasks"),
            LiveBadge("unread_notifications"), NotificationDropdown(), MyTasks()]


async def test_a_commit_reaches_each_tab_as_one_write(board: Board) -> None:
    tabs = [await board.harness.open(board.user, *_components()) for _ in range(3)]
    for tab in tabs:
        assert len(await tab.drain()) == 1  # the first full render, one write
    writes = board.harness.live.registry.stats.writes

    task = await board.add_task("write docs", notify=True)
    await board.settle()

    for tab in tabs:
        [patch] = await tab.drain()  # badges, the new row, the bell and the notification
        assert patch.text("liveui-badge-open_tasks") == "1"
        assert patch.text("nav-open-tasks") == "1"
        assert patch.text("liveui-badge-unread_notifications") == "1"
        [row] = [e for e in patch.inserts() if f'data-task-id="{task}"' in e.html]
        assert row.oob == f"afterbegin:#{MyTasks().rows_id}"
        assert "Task write docs added" in patch.html
    assert board.harness.live.registry.stats.writes - writes == len(tabs)


async def test_a_commit_without_rows_is_written_without_waiting_for_a_read(board: Board) -> None:
    tab = await board.harness.open(board.user, LiveBadge("unread_notifications"), MyTasks())
    await tab.drain()
    await board.dispatch.notify(None, board.user, title="hello")
    await board.settle()
    [patch] = await tab.drain()
    assert patch.text("liveui-badge-unread_notifications") == "1"
    assert board.harness.live.registry.flusher.holding == 0


async def test_a_tab_waits_for_a_row_read_no_longer_than_max_hold(board: Board) -> None:
    registry = board.harness.live.registry
    registry.flusher.max_hold = 0.05  # the read that never comes: a stopped feed
    tab = await board.harness.open(board.user, LiveBadge("open_tasks"), MyTasks())
    await tab.drain()
    await board.harness.live.feed.stop()  # the read the commit announces never comes
    started = time.monotonic()
    await board.add_task("lost read")
    patch = await tab.next_patch(timeout=2)
    waited = time.monotonic() - started
    assert patch.text("liveui-badge-open_tasks") == "1"  # the badge was not held forever
    assert 0.05 <= waited < 1.5
    assert registry.flusher.holding == 0


async def test_newer_values_of_one_element_in_a_loop_turn_replace_older_ones(
    board: Board,
) -> None:
    badge = LiveBadge("open_tasks")
    tab = await board.harness.open(board.user, badge)
    await tab.drain()
    newer = time.time_ns() // 1000  # versions are wall-clock microseconds: newer than mounted
    for value in (1, 2, 3):
        board.harness.broadcast("user:1", "counter_updated",
                               {"counter": "open_tasks", "value": value, "version": newer + value})
    patch = await tab.next_patch()
    assert patch.ids == [badge.id] and patch.text(badge.id) == "3"
    assert tab.pending() == 0


def test_a_flusher_without_a_running_loop_writes_at_once() -> None:
    written: list[str] = []

    class Session:
        def flush(self) -> bool:
            written.append("now")
            return True

        def held_since(self) -> float:  # pragma: no cover - never held here
            raise AssertionError

        def release(self) -> None:  # pragma: no cover - never held here
            raise AssertionError

    PatchFlusher().mark(Session())
    assert written == ["now"]


class Numbered:
    """A session that is never held: its flush records its number in `flushed` (or raises
    `fails`)."""

    def __init__(self, n: int, flushed: list[int], fails: Exception | None = None) -> None:
        self.n, self.flushed, self.fails = n, flushed, fails

    def flush(self) -> bool:
        if self.fails is not None:
            raise self.fails
        self.flushed.append(self.n)
        return True

    def held_since(self) -> float:  # pragma: no cover - never held here
        raise AssertionError

    def release(self) -> None:  # pragma: no cover - never held here
        raise AssertionError


async def test_one_loop_turn_schedules_one_flush_for_every_session() -> None:
    flushed: list[int] = []
    flusher = PatchFlusher()
    loop = asyncio.get_running_loop()
    scheduled = 0
    original = loop.call_soon

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal scheduled
        scheduled += 1
        return original(*args, **kwargs)

    loop.call_soon = counting  # type: ignore[method-assign]
    try:
        for n in range(100):
            flusher.mark(Numbered(n, flushed))
    finally:
        loop.call_soon = original  # type: ignore[method-assign]
    assert scheduled == 1 and flushed == []
    await asyncio.sleep(0)
    assert flushed == list(range(100))


async def test_one_session_failing_to_write_does_not_strand_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    flushed: list[int] = []
    flusher = PatchFlusher()
    for n in range(3):
        flusher.mark(Numbered(n, flushed, OSError("the socket broke") if n == 1 else None))
    await asyncio.sleep(0)
    assert flushed == [0, 2]
    assert "writing the patches of" in caplog.text


async def test_a_failed_row_read_releases_the_tabs_waiting_for_it(board: Board) -> None:
    registry = board.harness.live.registry
    registry.flusher.max_hold = 30.0  # far beyond the test's timeout: only the failure releases
    tab = await board.harness.open(board.user, LiveBadge("open_tasks"), MyTasks())
    await tab.drain()
    collections = board.dispatch.collections

    async def failing(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database is away")

    collections.load_keys = failing  # type: ignore[method-assign]
    await board.add_task("unread")
    patch = await tab.next_patch(timeout=2)
    assert patch.text("liveui-badge-open_tasks") == "1"  # written without the row, long
    assert registry.flusher.holding == 0  # before the 30 s safety net could have let it go


async def test_the_safety_net_releases_only_the_tabs_that_waited_long_enough() -> None:
    now = time.monotonic()
    released: list[str] = []

    class Session:
        def __init__(self, name: str, since: float) -> None:
            self.name, self.since = name, since

        def flush(self) -> bool:
            return False  # waiting for its read

        def held_since(self) -> float:
            return self.since

        def release(self) -> None:
            released.append(self.name)
            self.since = 0.0

    flusher = PatchFlusher(max_hold=0.05)
    old, new = Session("old", now - 1.0), Session("new", now + 0.2)  # new: a later commit's
    flusher.mark(old)
    flusher.mark(new)
    await asyncio.sleep(0)  # the end of the loop turn: both held
    assert flusher.holding == 2
    async with asyncio.timeout(5):
        while not released:
            await asyncio.sleep(0.01)
    assert released == ["old"] and flusher.holding == 1
    async with asyncio.timeout(5):
        while len(released) < 2:
            await asyncio.sleep(0.01)
    assert released == ["old", "new"] and flusher.holding == 0


async def test_a_tab_waits_for_the_read_that_covers_its_commit_not_an_earlier_one(
    board: Board,
) -> None:
    hub, registry = board.harness.node.hub, board.harness.live.registry
    tab = await board.harness.open(board.user, LiveBadge("open_tasks"), MyTasks())
    await tab.drain()
    await board.harness.live.feed.stop()  # the reads are delivered by hand here
    topic = collection_topic("flusher_my_tasks")
    first = Broadcast(topic, ROWS_CHANGED, rows_changed([1]))
    hub.deliver_local(first)
    hub.deliver_local(Broadcast(topic, ROWS_CHANGED, rows_changed([2])))  # a later commit's
    newer = time.time_ns() // 1000
    board.harness.broadcast("user:1", "counter_updated",
                            {"counter": "open_tasks", "value": 5, "version": newer})
    await asyncio.sleep(0)  # the loop turn's end: the badge is queued, the tab waits
    assert registry.flusher.holding == 1

    covers_first = board.harness.live.feed.number(first)
    hub.deliver_local(Broadcast(topic, ROWS_READ, RowsRead("flusher_my_tasks", newer, {},
                                                           covers=covers_first)))
    await asyncio.sleep(0)
    assert registry.flusher.holding == 1 and tab.connection.session.outbox.after(
        tab.connection.cursor) == []  # the read of the first commit does not cover the second

    hub.deliver_local(Broadcast(topic, ROWS_READ, RowsRead("flusher_my_tasks", newer, {},
                                                           covers=covers_first + 1)))
    patch = await tab.next_patch(timeout=2)
    assert patch.text("liveui-badge-open_tasks") == "5"
    assert registry.flusher.holding == 0


async def test_a_collection_that_does_not_wait_for_reads_lets_the_counters_go_first(
    board: Board,
) -> None:
    tab = await board.harness.open(board.user, LiveBadge("open_tasks"), MyTasksUnwaited())
    await tab.drain()
    task = await board.add_task("two writes")
    await board.settle()
    first, second = await tab.drain()  # the counter first, the row once it is read
    assert first.text("liveui-badge-open_tasks") == "1"
    assert any(f'data-task-id="{task}"' in e.html for e in second.inserts())
    assert board.harness.live.registry.flusher.holding == 0
