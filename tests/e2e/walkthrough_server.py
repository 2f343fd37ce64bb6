"""The real demo (`python -m demo`) as a subprocess, for the walkthrough and authorization tests.

The server gets a fresh data directory (its SQLite file) and a fixed secret, so it can be
stopped and started again on the same port with the same data, and `python -m demo token`
run with the same environment signs tokens the server accepts.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from liveui.testing import free_port

__all__ = ["SECRET_KEY", "DemoServer"]

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "walkthrough-secret-key-not-for-production"
START_TIMEOUT = 20.0


@dataclass
class DemoServer:
    data_dir: Path
    transport: str = "sse"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "demo.db"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("LIVEUI_")}
        return {
            **env,
            "PYTHONPATH": str(ROOT),
            "LIVEUI_DEMO_DATA_DIR": str(self.data_dir),
            "LIVEUI_SECRET_KEY": SECRET_KEY,
            "LIVEUI_TRANSPORT": self.transport,
        }

    def start(self) -> None:
        """Start the demo and return once it answers HTTP (it seeds its users on first start)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "demo", "--port", str(self.port)],
                cwd=ROOT,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the demo exited with {self.process.returncode}: {self.log()}")
            try:
                if httpx.get(self.url + "/login", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)  # polling a port: there is no event to wait on
        self.stop()
        raise RuntimeError(f"the demo did not answer within {START_TIMEOUT}s: {self.log()}")

    def stop(self) -> None:
        """Stop the server as Ctrl-C would; kill it if it does not stop in time."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""

    def token(self, username: str) -> tuple[str, str]:
        """`python -m demo token <username> --json`, as a reader of the docs would run it."""
        result = subprocess.run(
            [sys.executable, "-m", "demo", "token", username, "--json"],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        data = json.loads(result.stdout)
        return str(data["token"]), str(data["user_id"])

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        """Read or write the demo's SQLite file directly (one transaction)."""
        with closing(sqlite3.connect(self.db_path, timeout=10)) as db, db:
            return db.execute(sql, params).fetchall()

    def user_id(self, username: str) -> int:
        rows = self.query("SELECT id FROM users WHERE username = ?", username)
        assert rows, f"no user {username!r} in {self.db_path}"
        return int(str(rows[0][0]))
