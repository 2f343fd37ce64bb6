"""docs/examples/alembic: its first migration creates exactly what the models declare (liveui's
notification table included), on SQLite and PostgreSQL; its second adds the index that
`liveui counters --alembic` prints, and stays equal to that output."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from docs.examples.quickstart.app import Base
from liveui import async_url
from tests.support.postgres_database import throwaway_database

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "alembic"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    with throwaway_database(request.getfixturevalue("postgres_url")) as url:
        yield url


def config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(EXAMPLE))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def inspect_database(url: str, look: Any) -> Any:
    async def run() -> Any:
        engine = create_async_engine(async_url(url))
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(look)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_the_first_migration_is_exactly_the_models(database: str) -> None:
    command.upgrade(config(database), "0001")

    def differences(conn: Any) -> list[Any]:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))

    assert inspect_database(database, differences) == []


def test_the_counter_indexes_migrate_up_and_down(database: str) -> None:
    cfg = config(database)
    command.upgrade(cfg, "head")

    def order_indexes(conn: Any) -> set[str]:
        return {i["name"] for i in inspect(conn).get_indexes("orders")}

    assert "ix_orders_user_id_status" in inspect_database(database, order_indexes)
    command.downgrade(cfg, "0001")
    assert "ix_orders_user_id_status" not in inspect_database(database, order_indexes)
    command.downgrade(cfg, "base")


def test_the_index_migration_is_what_the_cli_prints() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "liveui.cli", "counters", "--alembic",
         "--dispatch", "docs.examples.quickstart.app:dispatch"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    ).stdout
    assert "op.create_index('ix_orders_user_id_status', 'orders', ['user_id', 'status'])" in printed
    assert "liveui_notifications" not in printed  # the model declares that index already
    migration = (EXAMPLE / "versions" / "0002_counter_indexes.py").read_text()
    assert printed.strip() in migration
