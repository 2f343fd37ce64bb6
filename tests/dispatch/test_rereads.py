"""The reads dispatch runs after every commit, on SQLite and PostgreSQL. They are built once and
bound at execution (the re-read of changed rows per collection and view, the members of an
audience, which owners are in it) and must still answer every call with that call's keys and
owners. A view's filter value (text from a URL) is compared as the column's type, and one the
column cannot hold matches nothing. A collection without a `row` function is read as columns,
not instances, and its rows are what the instances would give: keyed by attribute (a column
named otherwise in the table), deferred columns included, a subclass's rows only. A
declaration's `width` is how many columns its `measure` selects."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column

from liveui import Dispatch, DispatchSettings, aggregate, async_url, collection, counter
from liveui.row_events import View
from liveui.testing import BroadcastRecorder
from tests.support.dispatch_schema import both_databases, record_selects


@dataclass(frozen=True)
class Models:
    Base: Any
    Member: Any
    Entry: Any


def make_models() -> Models:
    """Tables of their own (a random prefix): the PostgreSQL runs of two workers never meet."""
    prefix = "t" + uuid.uuid4().hex[:10]

    class Base(DeclarativeBase):
        pass

    class Member(Base):
        __tablename__ = f"{prefix}_members"
        id: Mapped[int] = mapped_column(primary_key=True)
        vip: Mapped[bool] = mapped_column(Boolean, default=False)

    class Entry(Base):
        __tablename__ = f"{prefix}_entries"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey(f"{prefix}_members.id"), index=True)
        status: Mapped[str] = mapped_column(String(20), default="open")
        cents: Mapped[int] = mapped_column(default=0)
        paid: Mapped[bool] = mapped_column(Boolean, default=False)
        __counters__ = [
            # an owner counter with an audience: only the owners who are VIPs hear it
            counter("vip_open", where=lambda: Entry.status == "open",
                    owner=lambda: Entry.user_id, audience="vip"),
        ]
        __aggregates__ = [
            aggregate("spent", "sum", of=lambda: Entry.cents, owner=lambda: Entry.user_id),
            aggregate("average", "avg", of=lambda: Entry.cents, owner=lambda: Entry.user_id),
            aggregate("biggest", "max", of=lambda: Entry.cents, owner=lambda: Entry.user_id),
            aggregate("kinds", "count_distinct", of=lambda: Entry.cents,
                      owner=lambda: Entry.user_id),
        ]
        __collections__ = [
            collection("open_entries", where=lambda: Entry.status == "open",
                       owner=lambda: Entry.user_id, order_by=lambda: [Entry.id.desc()],
                       filters={"cents": lambda: Entry.cents, "paid": lambda: Entry.paid}),
        ]

    return Models(Base, Member, Entry)


@pytest.fixture
async def setup(database_url: str) -> Any:
    models = make_models()
    Base, Member, Entry = models.Base, models.Member, models.Entry
    engine = create_async_engine(async_url(database_url))
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    recorder = BroadcastRecorder()
    settings = DispatchSettings(models=[Entry], user_model=Member,
                                audiences={"vip": lambda: Member.vip == True},  # noqa: E712
                                coalesce_window=0.005)
    dispatch = Dispatch(settings, engine=engine, broadcast=recorder)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    dispatch.install(sessions)
    try:
        yield engine, sessions, dispatch, recorder, models
    finally:
        await dispatch.stop()
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
        await engine.dispose()


@both_databases
async def test_the_reread_of_changed_rows_answers_each_calls_keys(setup: Any) -> None:
    engine, sessions, dispatch, _, models = setup
    Member, Entry = models.Member, models.Entry
    async with sessions() as s:
        s.add_all([Member(id=1), Member(id=2)])
        await s.flush()
        entries = [Entry(user_id=1 + i % 2, status="open" if i % 3 else "done", cents=i % 2)
                   for i in range(9)]
        s.add_all(entries)
        await s.commit()
    await dispatch.wait_idle()  # the commit's own recount is not counted below
    by_id = {e.id: e for e in entries}
    plain, odd = View((), "", ""), View((("cents", "1"),), "", "")

    def shown(key: int, view: View) -> bool:
        e = by_id.get(key)
        return e is not None and e.status == "open" and (view == plain or e.cents == 1)

    table = f"FROM {Entry.__tablename__}"
    selects = record_selects(engine)
    ids = sorted(by_id)
    asked = [ids[:1], ids[1:4], [ids[4], 999], ids, ids[2:4]]
    for view in (plain, odd, plain):
        for keys in asked:
            selects.clear()
            read = await dispatch.collections.load_keys("open_entries", keys, view)
            assert read.view == view
            assert {k: r is not None for k, r in read.rows.items()} == {
                k: shown(k, view) for k in keys
            }, (keys, view)
            for key, row in read.rows.items():
                if row is not None:
                    assert row.values["id"] == key and row.owner == by_id[key].user_id
            assert len([t for t in selects if table in t]) == 1  # (+ PG's clock)
    # built once per view of the collection, and each view its own
    declared = dispatch.registry.collection("open_entries")
    dialect = engine.dialect.name
    assert declared.rows_by_key(dialect) is declared.rows_by_key(dialect)
    assert declared.for_view(odd).rows_by_key(dialect) is not declared.rows_by_key(dialect)
    if engine.dialect.name == "postgresql":  # one text for any number of keys (`= ANY`)
        texts = set()
        for keys in asked:
            selects.clear()
            await dispatch.collections.load_keys("open_entries", keys, plain)
            texts.update(t for t in selects if table in t)
        assert len(texts) == 1


@both_databases
async def test_an_owner_counter_with_an_audience_reaches_its_members_only_every_time(
    setup: Any,
) -> None:
    _, sessions, dispatch, recorder, models = setup
    Member, Entry = models.Member, models.Entry
    async with sessions() as s:
        s.add_all([Member(id=i, vip=i % 2 == 0) for i in range(1, 7)])
        await s.commit()
    rounds = [[1, 2], [2, 3, 4, 5, 6], [4], [1, 3, 5], [6, 2]]
    for owners in rounds:
        recorder.clear()
        async with sessions() as s:
            s.add_all([Entry(user_id=u) for u in owners])
            await s.commit()
        await dispatch.wait_idle()
        for user in range(1, 7):
            heard = recorder.counter_values(user, "vip_open")
            if user in owners and user % 2 == 0:
                async with sessions() as s:
                    open_now = len((await s.execute(
                        Entry.__table__.select().where(Entry.user_id == user))).all())
                assert heard == [open_now], (owners, user)
            else:
                assert heard == [], (owners, user)  # not a VIP, or nothing of theirs moved


def test_a_declarations_width_is_what_its_measure_selects() -> None:
    models = make_models()
    Member, Entry = models.Member, models.Entry
    settings = DispatchSettings(models=[Entry], user_model=Member,
                                audiences={"vip": lambda: Member.vip == True})  # noqa: E712
    dispatch = Dispatch(settings)
    declared = [*dispatch.registry.counters.values(), *dispatch.registry.aggregates.values()]
    assert {c.name for c in declared} >= {"vip_open", "spent", "average", "biggest", "kinds"}
    for c in declared:
        assert c.width == len(c.measure()), c.name
    assert dispatch.registry.aggregates["average"].width == 2


@both_databases
async def test_a_filter_value_is_compared_as_its_columns_type(setup: Any) -> None:
    _, sessions, dispatch, _, models = setup
    Member, Entry = models.Member, models.Entry
    async with sessions() as s:
        s.add(Member(id=1))
        await s.flush()
        entries = [Entry(user_id=1, cents=c, paid=p)
                   for c, p in ((5, True), (7, False), (-3, True))]
        s.add_all(entries)
        await s.commit()
    await dispatch.wait_idle()
    keys = [e.id for e in entries]

    async def rows(**filters: str) -> list[int]:
        view = View(tuple(sorted(filters.items())), "", "")
        page = await dispatch.collections.load_page("open_entries", 1, limit=10, view=view)
        read = await dispatch.collections.load_keys("open_entries", keys, view)
        assert sorted(r.key for r in page.rows) == sorted(
            k for k, r in read.rows.items() if r is not None)  # the page and the re-read agree
        return sorted(r.key for r in page.rows)

    five, seven, minus = keys
    assert await rows(cents="5") == [five]
    assert await rows(cents=" -3 ") == [minus]
    assert await rows(paid="true") == [five, minus]
    assert await rows(paid="0") == [seven]
    assert await rows(cents="5", paid="false") == []
    # what an integer or boolean column cannot hold matches nothing (PostgreSQL would refuse it)
    for cents in ("five", "5.0", "--5", "", "99999999999", "1" * 40):
        assert await rows(cents=cents) == [], cents
    assert await rows(paid="yes") == []


@both_databases
async def test_a_collection_without_a_row_function_reads_what_its_instances_hold(
    database_url: str,
) -> None:
    prefix = "t" + uuid.uuid4().hex[:10]

    class Base(DeclarativeBase):
        pass

    class Person(Base):
        __tablename__ = f"{prefix}_people"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Thing(Base):
        __tablename__ = f"{prefix}_things"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey(f"{prefix}_people.id"))
        label: Mapped[str] = mapped_column("db_label", String(20))  # named otherwise in SQL
        note: Mapped[str] = deferred(mapped_column(String(20), default="n"))
        kind: Mapped[str] = mapped_column(String(10))
        __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "thing"}
        __collections__ = [
            collection("things", owner=lambda: Thing.user_id, order_by=lambda: [Thing.label]),
        ]

    class Gadget(Thing):
        __mapper_args__ = {"polymorphic_identity": "gadget"}
        __collections__ = [
            collection("gadgets", owner=lambda: Gadget.user_id,
                       order_by=lambda: [Gadget.id.desc()]),
        ]

    engine = create_async_engine(async_url(database_url))
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    settings = DispatchSettings(models=[Thing, Gadget], user_model=Person)
    dispatch = Dispatch(settings, engine=engine, broadcast=BroadcastRecorder())
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        async with sessions() as s:
            s.add(Person(id=1))
            await s.flush()
            made = [Thing(user_id=1, label="b", note="first"), Gadget(user_id=1, label="a"),
                    Thing(user_id=1, label="c", note="third"), Gadget(user_id=1, label="d")]
            s.add_all(made)
            await s.commit()
        expected = {t.id: {"id": t.id, "user_id": 1, "label": t.label, "note": t.note,
                           "kind": t.kind} for t in made}
        for name, shown in (("things", made), ("gadgets", [t for t in made
                                                           if isinstance(t, Gadget)])):
            page = await dispatch.collections.load_page(name, 1, limit=10)
            read = await dispatch.collections.load_keys(name, [t.id for t in made])
            assert {r.key for r in page.rows} == {t.id for t in shown}, name
            assert {k for k, r in read.rows.items() if r is not None} == {t.id for t in shown}
            for row in [*page.rows, *(r for r in read.rows.values() if r is not None)]:
                assert row.values == expected[row.key] and row.owner == 1
        page = await dispatch.collections.load_page("things", 1, limit=10)
        assert [r.values["label"] for r in page.rows] == ["a", "b", "c", "d"]
        assert page.rows[0].sort == ("a", page.rows[0].key)
    finally:
        await dispatch.stop()
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
        await engine.dispose()
