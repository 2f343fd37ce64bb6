"""The live metric tile: first paint from the database in the tile's format, patches after
commits in other sessions, never backwards, and never a 0 invented by a failed read."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import jinja2
import pytest
import pytest_asyncio
from sqlalchemy import ForeignKey, String, insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from liveui import (
    ConfigurationError,
    Dispatch,
    DispatchSettings,
    LiveMetric,
    LiveUI,
    Node,
    SpecError,
    aggregate,
)
from liveui.dispatch.aggregate_declaration import AggregateValue
from liveui.live.component import component_from_spec
from liveui.live.page import LivePage
from liveui.testing import LiveHarness, live_harness


@dataclass
class Shop:
    Sale: Any
    User: Any
    sessions: async_sessionmaker[Any]
    dispatch: Dispatch
    harness: LiveHarness
    engine: AsyncEngine

    async def add_unseen_sale(self, user_id: int, cents: int) -> None:
        """A completed sale inserted behind the dispatch's back: its broadcast is "lost"."""
        async with self.engine.begin() as conn:
            await conn.execute(insert(self.Sale.__table__).values(
                user_id=user_id, amount_cents=cents, status="completed"))

    async def add_user(self) -> int:
        async with self.sessions() as s:
            user = self.User()
            s.add(user)
            await s.commit()
            return int(user.id)

    async def add_sale(self, user_id: int, cents: int, status: str = "completed") -> int:
        async with self.sessions() as s:
            row = self.Sale(user_id=user_id, amount_cents=cents, status=status)
            s.add(row)
            await s.commit()
            return int(row.id)

    async def set_status(self, sale_id: int, status: str) -> None:
        async with self.sessions() as s:
            row = await s.get(self.Sale, sale_id)
            row.status = status
            await s.commit()


@pytest_asyncio.fixture
async def shop(tmp_path: Any) -> AsyncIterator[Shop]:
    prefix = "m" + uuid.uuid4().hex[:10]

    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = f"{prefix}_users"
        id: Mapped[int] = mapped_column(primary_key=True)

    def done() -> Any:
        return Sale.status == "completed"

    class Sale(Base):
        __tablename__ = f"{prefix}_sales"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey(f"{prefix}_users.id"))
        status: Mapped[str] = mapped_column(String(20), default="pending")
        amount_cents: Mapped[int] = mapped_column(default=0)
        __aggregates__ = [
            aggregate("spent", "sum", of=lambda: Sale.amount_cents, scale=2, where=done,
                      owner=lambda: Sale.user_id),
            aggregate("average", "avg", of=lambda: Sale.amount_cents, scale=2, where=done),
        ]

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'metric.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    node = Node()
    dispatch = Dispatch(DispatchSettings(models=[Sale], user_model=User, coalesce_window=0.002),
                        node=node, engine=engine)
    dispatch.install(sessions)
    try:
        async with live_harness(dispatch=dispatch, node=node) as harness:
            yield Shop(Sale, User, sessions, dispatch, harness, engine)
    finally:
        await engine.dispose()


async def test_first_paint_shows_the_formatted_value(shop: Shop) -> None:
    alice = await shop.add_user()
    await shop.add_sale(alice, 123400)
    await shop.add_sale(alice, 50)
    await shop.add_sale(alice, 999999, status="pending")
    await shop.dispatch.wait_idle()
    html = await shop.harness.render(LiveMetric("spent", format="money"), user_id=alice)
    assert 'data-metric="spent"' in html
    assert 'data-value="1234.50"' in html
    assert ">$1,234.50</span>" in html


async def test_a_commit_in_another_session_patches_the_tile_both_ways(shop: Shop) -> None:
    alice = await shop.add_user()
    tile = LiveMetric("spent", format="money", label="Spent")
    tab = await shop.harness.open(alice, tile)
    assert (await tab.next_patch()).text(tile.id) == "$0.00"
    sale = await shop.add_sale(alice, 123450)
    patch = await tab.next_patch()
    assert patch.ids == [tile.id]
    assert patch.text(tile.id) == "$1,234.50"
    await shop.set_status(sale, "cancelled")  # a cancel moves it back down
    assert (await tab.next_patch()).text(tile.id) == "$0.00"


async def test_an_average_of_nothing_shows_the_empty_format(shop: Shop) -> None:
    alice = await shop.add_user()
    dash = await shop.harness.render(LiveMetric("average", format="money"), user_id=alice)
    assert ">—</span>" in dash and 'data-value=""' in dash
    zero = await shop.harness.render(LiveMetric("average", format="money", empty=0),
                                     user_id=alice)
    assert ">$0.00</span>" in zero
    tile = LiveMetric("average", format="money", empty=0)
    tab = await shop.harness.open(alice, tile)
    await tab.next_patch()
    await shop.add_sale(alice, 100)
    await shop.add_sale(alice, 200)
    texts = [(await tab.next_patch()).text(tile.id)]
    while texts[-1] != "$1.50":
        texts.append((await tab.next_patch()).text(tile.id))
    assert texts[0] in ("$1.00", "$1.50")


async def test_stale_and_malformed_updates_are_dropped(shop: Shop) -> None:
    alice = await shop.add_user()
    tile = LiveMetric("spent", format="money")
    tab = await shop.harness.open(alice, tile, etags={tile.id: "0.00"})
    held = tab.session.components[tile.id].state["version"]
    topic = f"user:{alice}"

    def send(value: Any, version: Any) -> None:
        shop.harness.broadcast(topic, "aggregate_updated",
                               {"aggregate": "spent", "value": value, "version": version})

    send("5.00", held + 10)
    assert (await tab.next_patch()).text(tile.id) == "$5.00"
    send("3.00", held + 9)  # older read, arriving late: must not roll back
    send(5.5, held + 12)  # a float on the wire: refused, money never goes through floats
    send("1e3", held + 13)  # not plain notation: refused
    send("6.00", held + 11)
    assert (await tab.next_patch()).text(tile.id) == "$6.00"


def test_a_value_missing_from_a_load_keeps_what_the_tile_showed() -> None:
    tile = LiveMetric("spent", format="money")
    tile.set_from({"spent": AggregateValue(Decimal("4.20"), 10)})
    tile.set_from({})  # its query failed this time
    assert tile.state == {"value": "4.20", "version": 10}
    assert tile.text == "$4.20"
    tile.set_from({"spent": AggregateValue(Decimal("1.00"), 9)})  # an older read
    assert tile.text == "$4.20"


def test_a_spec_with_a_format_the_tile_cannot_show_is_refused() -> None:
    tile, _ = component_from_spec({"c": "metric", "p": {"aggregate": "spent",
                                                        "format": "money", "empty": 0}})
    assert isinstance(tile, LiveMetric)
    with pytest.raises(SpecError, match="format 'money!'"):
        component_from_spec({"c": "metric", "p": {"aggregate": "spent", "format": "money!"}})
    with pytest.raises(SpecError, match="currency"):
        component_from_spec({"c": "metric", "p": {"aggregate": "spent", "currency": "$"}})
    with pytest.raises(SpecError, match="wrong type"):
        component_from_spec({"c": "metric", "p": {"aggregate": "spent", "places": "2"}})


async def test_anti_entropy_repairs_a_tile_that_missed_a_recount(shop: Shop) -> None:
    alice = await shop.add_user()
    tile = LiveMetric("spent", format="money")
    tab = await shop.harness.open(alice, tile)
    assert (await tab.next_patch()).text(tile.id) == "$0.00"
    await shop.add_unseen_sale(alice, 4250)
    registry = shop.harness.live.registry
    assert await registry.verify([tab.session]) == 1
    assert (await tab.next_patch()).text(tile.id) == "$42.50"
    assert await registry.verify([tab.session]) == 0  # converged: nothing more to repair


async def test_a_pubsub_resync_sends_the_tile_what_it_missed(shop: Shop) -> None:
    alice = await shop.add_user()
    tile = LiveMetric("spent", format="money")
    tab = await shop.harness.open(alice, tile)
    await tab.next_patch()
    await shop.add_unseen_sale(alice, 100)
    assert tab.pending() == 0  # nobody told the session
    await shop.harness.node.hub.resync()
    patch = await tab.next_patch()
    assert patch.ids == [tile.id]
    assert patch.text(tile.id) == "$1.00"


async def test_a_page_connecting_late_misses_nothing_committed_in_between(shop: Shop) -> None:
    alice = await shop.add_user()
    rendered = LiveMetric("spent", format="money")
    await rendered.mount(shop.harness.live.context(alice))  # what the page showed: $0.00
    await shop.add_sale(alice, 999)  # committed before the page's connection exists
    await shop.dispatch.wait_idle()
    tab = await shop.harness.open(alice, LiveMetric("spent", format="money"),
                                  etags={rendered.id: rendered.etag()})
    assert (await tab.next_patch()).text(rendered.id) == "$9.99"


def render_tag(live: LiveUI, source: str, page: LivePage) -> str:
    env = jinja2.Environment(loader=jinja2.DictLoader({"page.html": source}), autoescape=True)
    live.install_templates(env)
    return env.get_template("page.html").render(liveui_page=page)


def test_the_tag_renders_the_loaded_value_and_names_an_undeclared_aggregate(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    page = LivePage(user_id=1, session_id="s", token="t",
                    aggregates={"spent": AggregateValue(Decimal("1234.5"), 3)})
    html = render_tag(shop.harness.live, '{{ live_metric("spent", format="money") }}'
                      '{{ live_metric("spent", format="compact") }}', page)
    assert 'data-metric="spent"' in html and ">$1,234.50</span>" in html
    assert 'id="liveui-metric-spent-2"' in html and ">1.2K</span>" in html  # ids stay unique
    with caplog.at_level(logging.WARNING, logger="liveui.live"):
        render_tag(shop.harness.live, '{{ live_metric("spnt") }}', page)
    assert any("live_metric('spnt')" in r.getMessage() and "spent" in r.getMessage()
               for r in caplog.records)
    strict = LiveUI(node=Node(), dispatch=shop.dispatch, secret_key="k",
                    get_user_id=lambda r: None, debug=True)
    with pytest.raises(ConfigurationError, match=r"spnt'.*declared aggregates: average, spent"):
        render_tag(strict, '{{ live_metric("spnt") }}', page)
    anonymous = render_tag(shop.harness.live, '{{ live_metric("spent") }}', LivePage(None))
    assert anonymous == ""
