"""Alembic environment of the quick start's models (docs/examples/quickstart/app.py), with
liveui's notification table: `alembic -c docs/examples/alembic/alembic.ini upgrade head`.

The notification table is declared on the app's own Base by `notification_model(Base)`, so
`alembic revision --autogenerate` sees it like any other table.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from docs.examples.quickstart.app import Base
from liveui import async_url

config = context.config
target_metadata = Base.metadata


def migrate(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def run() -> None:
    # The app's async driver (aiosqlite, asyncpg) serves the migrations too.
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_async_engine(async_url(url))
    async with engine.connect() as connection:
        await connection.run_sync(migrate)
    await engine.dispose()


asyncio.run(run())
