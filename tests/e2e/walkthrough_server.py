"""The real demo (`python -m demo`) as a subprocess, for the walkthrough and authorization tests.

The server gets a fresh data directory (its SQLite file) and a fixed secret, so it can be
stopped and started again on the same port with the same data, and `python -m demo token`
run with the same environment signs tokens the server accepts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from demo.process import DemoProcess

__all__ = ["SECRET_KEY", "DemoServer", "running_demo"]

SECRET_KEY = "walkthrough-secret-key-not-for-production"


class DemoServer(DemoProcess):
    """The demo on its embedded defaults (SQLite file, memory pub/sub), plus direct SQL access."""

    def __init__(self, data_dir: Path, transport: str | None = None) -> None:
        super().__init__(data_dir, secret_key=SECRET_KEY, transport=transport, name="server")

    @property
    def db_path(self) -> Path:
        return self.data_dir / "demo.db"

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        """Read or write the demo's SQLite file directly (one transaction)."""
        with closing(sqlite3.connect(self.db_path, timeout=10)) as db, db:
            return db.execute(sql, params).fetchall()

    def user_id(self, username: str) -> int:
        rows = self.query("SELECT id FROM users WHERE username = ?", username)
        assert rows, f"no user {username!r} in {self.db_path}"
        return int(str(rows[0][0]))


@contextmanager
def running_demo(data_dir: Path, transport: str | None = None) -> Iterator[DemoServer]:
    """A started demo server, stopped when the block ends."""
    server = DemoServer(data_dir, transport)
    server.start()
    try:
        yield server
    finally:
        server.stop()
