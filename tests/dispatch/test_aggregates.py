"""Declared aggregates (sum, avg, min, max, count distinct) recomputed after commit through the
counters' machinery: values, grouping, audiences, empty sets, exact money, versions, cost, and a
failed read that is never shown as 0. On SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import Boolean, ForeignKey, Numeric, String, event, func
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from liveui import ConfigurationError, Dispatch, DispatchSettings, aggregate, async_url, counter
from liveui.dispatch.folded_recount import FOLDED_MAX
from liveui.testing import BroadcastRecorder

both_databases = pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
    indirect=True,
)

COMPLETED = "completed"


@dataclass
class Shop:
    Base: type[DeclarativeBase]
    User: Any
    Sale: Any


def make_shop(broken: bool = False) -> Shop:
    prefix = "a" + uuid.uuid4().hex[:10]

    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = f"{prefix}_users"
        id: Mapped[int] = mapped_column(primary_key=True)
        is_admin: Mapped[bool] = mapped_column(Boolean, default=False)

    def done() -> Any:
        return Sale.status == COMPLETED

    class Sale(Base):
        __tablename__ = f"{prefix}_sales"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey(f"{prefix}_users.id"), index=True)
        status: Mapped[str] = mapped_column(String(20), default="pending")
        amount_cents: Mapped[int] = mapped_column(default=0)
        quantity: Mapped[int] = mapped_column(default=1)
        price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
        sku: Mapped[str] = mapped_column(String(20), default="")
        note: Mapped[str] = mapped_column(String(50), default="")
        __counters__ = [counter("completed_sales", where=done, owner=lambda: Sale.user_id),
                        counter("admin_sales", where=done, audience="admin")]
        __aggregates__ = [
            aggregate("spent", "sum", of=lambda: Sale.amount_cents, scale=2, where=done,
                      owner=lambda: Sale.user_id, invalidates=["sales"]),
            aggregate("revenue", "sum", of=lambda: Sale.amount_cents, scale=2, where=done,
                      audience="admin"),
            aggregate("avg_sale", "avg", of=lambda: Sale.amount_cents, scale=2, where=done,
                      audience="admin"),
            aggregate("biggest", "max", of=lambda: Sale.amount_cents, scale=2, where=done,
                      owner=lambda: Sale.user_id),
            aggregate("smallest", "min", of=lambda: Sale.amount_cents, scale=2, where=done),
            aggregate("skus", "count_distinct", of=lambda: Sale.sku, where=done,
                      owner=lambda: Sale.user_id),
            aggregate("units_value", "sum", of=lambda: Sale.amount_cents * Sale.quantity,
                      scale=2, where=done, owner=lambda: Sale.user_id),
            aggregate("price_total", "sum", of=lambda: Sale.price, where=done,
                      owner=lambda: Sale.user_id),
            aggregate("settled", "sum", of=lambda: Sale.amount_cents, scale=2,
                      owner=lambda: Sale.user_id, on=["settle"]),
            *([aggregate("broken", "sum", of=lambda: func.no_such_function(Sale.amount_cents),
                         owner=lambda: Sale.user_id)] if broken else []),
        ]

    return Shop(Base, User, Sale)


def settings_for(shop: Shop, **overrides: Any) -> DispatchSettings:
    options: dict[str, Any] = {
        "models": [shop.Sale],
        "user_model": shop.User,
        "audiences": {"admin": lambda: shop.User.is_admin == True},  # noqa: E712
        "coalesce_window": 0.005,
    }
    options.update(overrides)
    return DispatchSettings(**options)


@pytest.fixture
def shop() -> Shop:
    return make_shop()


@pytest_asyncio.fixture
async def shop_engine(database_url: str, shop: Shop) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(async_url(database_url))
    async with engine.begin() as conn:
        await conn.run_sync(shop.Base.metadata.create_all)
    try:
        yield engine
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(shop.Base.metadata.drop_all)
        await engine.dispose()


@pytest.fixture
def shop_sessions(shop_engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(shop_engine, expire_on_commit=False)


@pytest_asyncio.fixture
async def shop_dispatch(
    shop: Shop, shop_engine: AsyncEngine, shop_sessions: async_sessionmaker[Any],
    dispatch_broadcasts: BroadcastRecorder,
) -> AsyncIterator[Dispatch]:
    d = Dispatch(settings_for(shop), engine=shop_engine, broadcast=dispatch_broadcasts)
    d.install(shop_sessions)
    try:
        yield d
    finally:
        await d.stop()


async def add_users(sessions: async_sessionmaker[Any], shop: Shop, n: int,
                    admins: int = 0) -> list[int]:
    async with sessions() as s:
        users = [shop.User(is_admin=i < admins) for i in range(n)]
        s.add_all(users)
        await s.commit()
        return [u.id for u in users]


@contextlib.contextmanager
def selects_of(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SELECT statements `engine` runs inside the block."""
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)


def sale(shop: Shop, user_id: int, cents: int, **fields: Any) -> Any:
    fields.setdefault("status", COMPLETED)
    return shop.Sale(user_id=user_id, amount_cents=cents, **fields)


# declaring ----------------------------------------------------------------------------------
def test_declarations_refuse_what_cannot_be_computed() -> None:
    with pytest.raises(ConfigurationError, match="kind 'median'"):
        aggregate("x", "median", of=lambda: None)
    with pytest.raises(ConfigurationError, match="a count of rows is counter"):
        aggregate("x", "count", of=lambda: None)
    with pytest.raises(ConfigurationError, match="`of` must name"):
        aggregate("x", "sum", of=None)
    with pytest.raises(ConfigurationError, match="`scale`"):
        aggregate("x", "sum", of=lambda: None, scale=-2)
    with pytest.raises(ConfigurationError, match="`places`"):
        aggregate("x", "avg", of=lambda: None, places=True)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="no row event"):
        aggregate("x", "sum", of=lambda: None, on=["updte"])


def test_an_aggregate_named_like_a_counter_is_refused() -> None:
    shop = make_shop()
    shop.Sale.__aggregates__ = [*shop.Sale.__aggregates__,
                                aggregate("completed_sales", "sum", of=lambda: shop.Sale.id)]
    dispatch = Dispatch(settings_for(shop))
    with pytest.raises(ConfigurationError, match="share one namespace"):
        dispatch.install(async_sessionmaker())


def test_a_sum_of_text_is_refused_at_install_naming_the_aggregate() -> None:
    shop = make_shop()
    shop.Sale.__aggregates__ = [aggregate("skus_total", "sum", of=lambda: shop.Sale.sku)]
    with pytest.raises(ConfigurationError, match=r"aggregate 'skus_total': sum needs a number"):
        Dispatch(settings_for(shop)).install(async_sessionmaker())
    shop.Sale.__aggregates__ = [aggregate("x", "max", of=lambda: shop.Sale.id,
                                          owner=lambda: shop.Sale.id * 2)]
    with pytest.raises(ConfigurationError, match=r"aggregate 'x': owner must be a column"):
        Dispatch(settings_for(shop)).install(async_sessionmaker())


def test_an_unknown_audience_is_refused_at_install() -> None:
    shop = make_shop()
    shop.Sale.__aggregates__ = [aggregate("x", "sum", of=lambda: shop.Sale.id,
                                          audience="auditors")]
    with pytest.raises(ConfigurationError, match="auditors"):
        Dispatch(settings_for(shop)).install(async_sessionmaker())


# values -------------------------------------------------------------------------------------
@both_databases
async def test_commit_broadcasts_each_kind_grouped_per_owner_and_per_audience(
    shop: Shop, shop_sessions: async_sessionmaker[Any], shop_dispatch: Dispatch,
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    admin, alice, bob = await add_users(shop_sessions, shop, 3, admins=1)
    async with shop_sessions() as s:
        s.add_all([
            sale(shop, alice, 1999, sku="a", quantity=2, price=Decimal("19.99")),
            sale(shop, alice, 500, sku="a", price=Decimal("5.00")),
            sale(shop, alice, 7000, status="pending", sku="z"),
            sale(shop, bob, 123456, sku="b", price=Decimal("1234.56")),
        ])
        await s.commit()
    expect = dispatch_broadcasts.assert_aggregate_broadcast
    update = await expect(alice, "spent", "24.99")
    assert update["metadata"] == {"invalidateQueries": ["sales"]}
    assert isinstance(update["version"], int)
    await expect(bob, "spent", "1234.56")
    await expect(alice, "biggest", "19.99")
    await expect(alice, "skus", "1")  # "a" twice, the pending "z" does not count
    await expect(alice, "units_value", "44.98")  # 19.99 * 2 + 5.00: an expression
    await expect(alice, "price_total", "24.99")  # a NUMERIC column: Decimal end to end
    await expect(admin, "revenue", "1259.55")
    await expect(admin, "avg_sale", "419.85")  # 125955 / 3 cents = 419.85 exactly
    for user in (admin, alice, bob):
        await expect(user, "smallest", "5.00")  # global, audience "user": everyone
    await shop_dispatch.wait_idle()
    # Admin aggregates go to admins only; owners hear only their own values.
    assert dispatch_broadcasts.aggregate_values(alice, "revenue") == []
    assert dispatch_broadcasts.aggregate_values(alice, "avg_sale") == []
    assert dispatch_broadcasts.aggregate_values(admin, "spent") == []
    # Counters keep their own event, untouched by the aggregates.
    await dispatch_broadcasts.assert_counter_broadcast(alice, "completed_sales", 2)
    await dispatch_broadcasts.assert_counter_broadcast(admin, "admin_sales", 3)


@both_databases
async def test_empty_sets_sum_to_zero_and_average_to_null(
    shop: Shop, shop_sessions: async_sessionmaker[Any], shop_dispatch: Dispatch,
) -> None:
    admin, alice = await add_users(shop_sessions, shop, 2, admins=1)
    async with shop_sessions() as s:
        s.add(sale(shop, alice, 999, status="pending"))
        await s.commit()
    mine = await shop_dispatch.aggregates.load_aggregate_values(alice)
    assert mine["spent"].value == Decimal("0.00")
    assert str(mine["spent"].value) == "0.00"
    assert mine["biggest"].value is None
    assert mine["smallest"].value is None
    assert mine["skus"].value == Decimal(0)
    assert "revenue" not in mine and "avg_sale" not in mine  # not in alice's audience
    admins = await shop_dispatch.aggregates.load_aggregate_values(admin)
    assert admins["avg_sale"].value is None
    assert admins["revenue"].value == Decimal("0.00")


@both_databases
async def test_values_are_exact_decimals_never_floats(
    shop: Shop, shop_sessions: async_sessionmaker[Any], shop_dispatch: Dispatch,
) -> None:
    admin, alice = await add_users(shop_sessions, shop, 2, admins=1)
    async with shop_sessions() as s:
        # Ten sales of 0.10 sum to exactly 1.00 (a float sum would be 0.9999999999999999);
        # the average of 1, 2 and 2 cents is 1.666... cents, rounded half-even to 0.02.
        s.add_all([sale(shop, alice, 10, price=Decimal("0.10")) for _ in range(10)])
        await s.commit()
    values = await shop_dispatch.aggregates.load_aggregate_values(alice)
    assert values["spent"].value == Decimal("1.00")
    assert values["price_total"].value == Decimal("1.00")
    assert all(isinstance(v.value, Decimal) for v in values.values() if v.value is not None)
    async with shop_sessions() as s:
        await s.execute(shop.Sale.__table__.delete())
        s.add_all([sale(shop, alice, 1), sale(shop, alice, 2), sale(shop, alice, 2)])
        await s.commit()
    admins = await shop_dispatch.aggregates.load_aggregate_values(admin)
    assert admins["avg_sale"].value == Decimal("0.02")
    assert str(admins["avg_sale"].value) == "0.02"


@both_databases
async def test_versions_order_the_reads(
    shop: Shop, shop_sessions: async_sessionmaker[Any], shop_dispatch: Dispatch,
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    [alice] = await add_users(shop_sessions, shop, 1)
    async with shop_sessions() as s:
        first = sale(shop, alice, 100)
        s.add(first)
        await s.commit()
    one = await dispatch_broadcasts.assert_aggregate_broadcast(alice, "spent", "1.00")
    loaded = await shop_dispatch.aggregates.load_aggregate_values(alice)
    assert loaded["spent"].version > one["version"]
    async with shop_sessions() as s:
        s.add(sale(shop, alice, 250))
        await s.commit()
    two = await dispatch_broadcasts.assert_aggregate_broadcast(alice, "spent", "3.50")
    assert two["version"] > loaded["spent"].version > one["version"]


async def test_an_amount_change_recounts_and_an_unrelated_update_does_not(
    shop: Shop, database_url: str, shop_sessions: async_sessionmaker[Any],
    shop_dispatch: Dispatch, dispatch_broadcasts: BroadcastRecorder,
) -> None:
    [alice] = await add_users(shop_sessions, shop, 1)
    async with shop_sessions() as s:
        row = sale(shop, alice, 100)
        s.add(row)
        await s.commit()
    await dispatch_broadcasts.assert_aggregate_broadcast(alice, "spent", "1.00")
    async with shop_sessions() as s:
        changed = await s.get(shop.Sale, row.id)
        changed.amount_cents = 300  # the filter does not move, the sum does
        await s.commit()
    await dispatch_broadcasts.assert_aggregate_broadcast(alice, "spent", "3.00")
    await shop_dispatch.wait_idle()
    dispatch_broadcasts.clear()
    async with shop_sessions() as s:
        changed = await s.get(shop.Sale, row.id)
        changed.note = "gift wrap"  # read by no aggregate
        await s.commit()
    await shop_dispatch.wait_idle()
    assert dispatch_broadcasts.events(alice, "aggregate_updated") == []


async def test_an_application_action_recounts_its_aggregates(
    shop: Shop, shop_sessions: async_sessionmaker[Any], shop_dispatch: Dispatch,
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    [alice] = await add_users(shop_sessions, shop, 1)
    async with shop_sessions() as s:
        row = sale(shop, alice, 4200)
        s.add(row)
        await s.commit()
    await shop_dispatch.wait_idle()
    assert dispatch_broadcasts.aggregate_values(alice, "settled") == []  # on=["settle"] only
    async with shop_sessions() as s:
        shop_dispatch.action(s, "settle", row)
        await s.commit()
    await dispatch_broadcasts.assert_aggregate_broadcast(alice, "settled", "42.00")


@both_databases
async def test_one_grouped_query_per_aggregate_for_all_the_owners_a_commit_touched(
    shop: Shop, shop_engine: AsyncEngine, shop_sessions: async_sessionmaker[Any],
    shop_dispatch: Dispatch, dispatch_broadcasts: BroadcastRecorder,
) -> None:
    users = await add_users(shop_sessions, shop, 6, admins=1)
    await shop_dispatch.wait_idle()
    with selects_of(shop_engine) as statements:
        async with shop_sessions() as s:
            s.add_all([sale(shop, u, 100 * (i + 1), sku=str(i)) for i, u in enumerate(users)])
            await s.commit()
        await dispatch_broadcasts.assert_aggregate_broadcast(users[-1], "spent", "6.00")
        await shop_dispatch.wait_idle()
    sales = shop.Sale.__tablename__
    grouped = [q for q in statements if sales in q and "GROUP BY" in q]
    # spent, biggest, skus, units_value, price_total (owner aggregates; "settled" waits for its
    # action) and the completed_sales counter: one GROUP BY each, whatever the number of owners
    # (too many subqueries to fold into one statement, as a lone commit's are: below).
    assert 6 * len(users) > FOLDED_MAX
    assert len(grouped) == 6, "\n".join(grouped)
    unowned = [q for q in statements if sales in q and "GROUP BY" not in q]
    assert len(unowned) == 4, "\n".join(unowned)  # revenue, avg_sale, smallest, admin_sales
    # Counters and aggregates are recounted in one read: one membership query per audience
    # (the admins, for the admin counter and the admin aggregates alike; every user, for
    # "smallest"), and (PostgreSQL) one read of the clock.
    members = [q for q in statements if shop.User.__tablename__ in q and sales not in q]
    assert len(members) == len(set(members)) == 2, "\n".join(members)
    clock = [q for q in statements if "statement_timestamp" in q]
    assert len(clock) == (1 if shop_engine.dialect.name == "postgresql" else 0), clock
    for u in users:
        assert len(dispatch_broadcasts.aggregate_values(u, "spent")) == 1


@both_databases
async def test_a_lone_commit_reads_every_counter_and_aggregate_it_moved_in_one_statement(
    shop: Shop, shop_engine: AsyncEngine, shop_sessions: async_sessionmaker[Any],
    shop_dispatch: Dispatch, dispatch_broadcasts: BroadcastRecorder,
) -> None:
    [alice] = await add_users(shop_sessions, shop, 1)
    await add_users(shop_sessions, shop, 1, admins=1)
    await shop_dispatch.wait_idle()
    with selects_of(shop_engine) as statements:
        async with shop_sessions() as s:
            s.add(sale(shop, alice, 250))
            await s.commit()
        await dispatch_broadcasts.assert_aggregate_broadcast(alice, "spent", "2.50")
        await shop_dispatch.wait_idle()
    sales = shop.Sale.__tablename__
    # The owner's five aggregates and counter, and the four unowned ones: one statement, each
    # a subquery with its own filter, the clock (PostgreSQL) in it too.
    reads = [q for q in statements if sales in q]
    assert len(reads) == 1, "\n".join(reads)
    assert "GROUP BY" not in reads[0]
    assert [q for q in statements if "statement_timestamp" in q] == (
        reads if shop_engine.dialect.name == "postgresql" else [])
    members = [q for q in statements if sales not in q]
    assert len(members) == 2, "\n".join(members)  # the admins, and every user ("smallest")
    assert dispatch_broadcasts.counter_values(alice, "completed_sales")[-1] == 1
    assert dispatch_broadcasts.aggregate_values(alice, "biggest")[-1] == "2.50"


async def test_a_failed_read_is_left_out_never_shown_as_zero(
    database_url: str, dispatch_broadcasts: BroadcastRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    shop = make_shop(broken=True)
    engine = create_async_engine(async_url(database_url))
    async with engine.begin() as conn:
        await conn.run_sync(shop.Base.metadata.create_all)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    dispatch = Dispatch(settings_for(shop), engine=engine, broadcast=dispatch_broadcasts)
    dispatch.install(sessions)
    try:
        [alice] = await add_users(sessions, shop, 1)
        async with sessions() as s:
            s.add(sale(shop, alice, 700))
            await s.commit()
        await dispatch_broadcasts.assert_aggregate_broadcast(alice, "spent", "7.00")
        await dispatch.wait_idle()
        assert dispatch_broadcasts.aggregate_values(alice, "broken") == []
        loaded = await dispatch.aggregates.load_aggregate_values(alice)
        assert "broken" not in loaded
        assert loaded["spent"].value == Decimal("7.00")
        assert "'broken' failed" in caplog.text
    finally:
        await dispatch.stop()
        await engine.dispose()


@both_databases
async def test_initial_state_carries_the_aggregates_as_strings(
    shop: Shop, shop_sessions: async_sessionmaker[Any], shop_dispatch: Dispatch,
) -> None:
    admin, alice = await add_users(shop_sessions, shop, 2, admins=1)
    async with shop_sessions() as s:
        s.add(sale(shop, alice, 123450))
        await s.commit()
    state = await shop_dispatch.channel_state(alice)
    assert state["aggregates"]["spent"]["value"] == "1234.50"
    assert state["aggregates"]["biggest"]["value"] == "1234.50"
    assert isinstance(state["aggregates"]["spent"]["version"], int)
    assert "revenue" not in state["aggregates"]
    assert state["counters"]["completed_sales"] == 1
    admins = await shop_dispatch.channel_state(admin)
    assert admins["aggregates"]["avg_sale"] == {
        "value": "1234.50", "version": admins["aggregates"]["avg_sale"]["version"]
    }


async def test_touch_recounts_an_aggregate_after_a_bulk_update(
    shop: Shop, shop_sessions: async_sessionmaker[Any], shop_dispatch: Dispatch,
    dispatch_broadcasts: BroadcastRecorder,
) -> None:
    [alice] = await add_users(shop_sessions, shop, 1)
    async with shop_sessions() as s:
        s.add(sale(shop, alice, 100))
        await s.commit()
    await dispatch_broadcasts.assert_aggregate_broadcast(alice, "spent", "1.00")
    async with shop_sessions() as s:
        await s.execute(shop.Sale.__table__.update().values(amount_cents=900))
        shop_dispatch.touch("spent", [alice], session=s)
        await s.commit()
    await dispatch_broadcasts.assert_aggregate_broadcast(alice, "spent", "9.00")
