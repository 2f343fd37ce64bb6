"""The demo's activity simulator: every step is a real action through the demo's services."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from demo.db import make_async_engine, make_sessionmaker
from demo.models import Base, CartItem, Order, Ticket
from demo.seed import seed
from demo.simulation import Simulator


async def test_steps_change_the_shop(tmp_path: Path) -> None:
    engine = make_async_engine(f"sqlite:///{tmp_path / 'sim.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = make_sessionmaker(engine)
    await seed(sessions)

    async def counts() -> tuple[int, ...]:
        async with sessions() as session:
            return tuple(
                [
                    await session.scalar(select(func.count()).select_from(m)) or 0
                    for m in (Order, CartItem, Ticket)
                ]
                + [
                    await session.scalar(
                        select(func.count()).select_from(Order).where(Order.status == "completed")
                    )
                    or 0
                ]
            )

    before = await counts()
    simulator = Simulator(sessions, dispatch=None)
    done = [await simulator.step() for _ in range(40)]
    after = await counts()
    await engine.dispose()
    assert simulator.steps == 40
    assert all(isinstance(what, str) and what for what in done)
    assert any("placed an order" in what for what in done)
    assert after[0] > before[0]  # orders were placed
    assert after != before


async def test_start_and_stop(tmp_path: Path) -> None:
    engine = make_async_engine(f"sqlite:///{tmp_path / 'sim.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = make_sessionmaker(engine)
    await seed(sessions)
    simulator = Simulator(sessions, dispatch=None)
    simulator.start(interval=0.2)
    assert simulator.running
    await simulator.stop()
    assert not simulator.running
    await engine.dispose()
