"""`python -m demo token <username> [--json]`: one line, a token the running demo accepts."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from demo.db import make_async_engine, make_sessionmaker
from demo.models import Base
from demo.seed import seed
from demo.sockets import verify_socket_token
from liveui import Revocations

ROOT = Path(__file__).resolve().parents[2]
SECRET = "cli-test-secret-of-at-least-32-characters"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    async def create() -> None:
        engine = make_async_engine(f"sqlite:///{tmp_path / 'demo.db'}")
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        await seed(make_sessionmaker(engine))
        await engine.dispose()

    asyncio.run(create())
    return tmp_path


def run(
    data_dir: Path, *args: str, secret: str | None = SECRET
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIVEUI_DEMO_DATA_DIR": str(data_dir)}
    env.pop("LIVEUI_DATABASE_URL", None)
    env.pop("LIVEUI_SECRET_KEY", None)
    if secret is not None:
        env["LIVEUI_SECRET_KEY"] = secret
    return subprocess.run(
        [sys.executable, "-m", "demo", "token", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def user_id(data_dir: Path, username: str = "alice") -> str:
    with sqlite3.connect(data_dir / "demo.db") as db:
        (uid,) = db.execute("select id from users where username = ?", (username,)).fetchone()
    return str(uid)


def test_token_prints_one_line_that_verifies(data_dir: Path) -> None:
    result = run(data_dir, "alice")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert verify_socket_token(Revocations(), SECRET, lines[0]).user_key == user_id(data_dir)


def test_token_json(data_dir: Path) -> None:
    result = run(data_dir, "alice", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) == {"token", "user_id"}
    assert payload["user_id"] == user_id(data_dir)
    login = verify_socket_token(Revocations(), SECRET, payload["token"])
    assert login.user_key == payload["user_id"]


def test_unknown_user_fails_with_a_message(data_dir: Path) -> None:
    result = run(data_dir, "mallory")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "mallory" in result.stderr


def test_without_a_secret_the_development_secret_beside_the_database_is_used(
    data_dir: Path,
) -> None:
    result = run(data_dir, "bob", secret=None)
    assert result.returncode == 0, result.stderr
    secret = (data_dir / "secret_key").read_text().strip()
    login = verify_socket_token(Revocations(), secret, result.stdout.strip())
    assert login.user_key == user_id(data_dir, "bob")
    # A second run keeps the same secret, so the CLI and a running demo agree.
    again = run(data_dir, "bob", secret=None)
    again_login = verify_socket_token(Revocations(), secret, again.stdout.strip())
    assert again_login.user_key == user_id(data_dir, "bob")
    assert again_login.session != login.session  # each token is a login of its own
