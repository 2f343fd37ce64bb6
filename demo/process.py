"""The demo as a child process: `python -m demo --port N` with its own data directory.

Used by the screenshot script and by the end-to-end and multi-node tests: start it, wait until
it answers, stop it as Ctrl-C would, start it again on the same port with the same data.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from liveui.testing import ServerProcess, free_port

__all__ = ["DemoProcess", "free_port"]

ROOT = Path(__file__).resolve().parents[1]


class DemoProcess:
    """One demo server. `env` adds to (and overrides) the demo's settings, e.g.
    `{"LIVEUI_DATABASE_URL": ..., "LIVEUI_PUBSUB_URL": ...}`; `transport` None serves the demo's
    default live transport; any other `LIVEUI_*` variable of
    the calling environment is dropped, so the caller's shell cannot leak into the server."""

    def __init__(
        self,
        data_dir: Path,
        *,
        secret_key: str,
        transport: str | None = None,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
        name: str = "demo",
    ) -> None:
        self.data_dir = data_dir
        self.name = name
        self.port = port or free_port()
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("LIVEUI_")}
        self.env = {
            **inherited,
            "PYTHONPATH": str(ROOT),
            "LIVEUI_DEMO_DATA_DIR": str(data_dir),
            "LIVEUI_SECRET_KEY": secret_key,
            **({"LIVEUI_TRANSPORT": transport} if transport else {}),
            **(env or {}),
        }
        self._server = ServerProcess(
            [sys.executable, "-m", "demo", "--port", str(self.port)],
            url=self.url, ready_path="/login", log_path=self.log_path, cwd=ROOT, env=self.env,
            name=name,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def socket_url(self) -> str:
        """What phoenix.js's `new Socket(url)` takes."""
        return f"ws://127.0.0.1:{self.port}/socket"

    @property
    def log_path(self) -> Path:
        return self.data_dir / f"{self.name}.log"

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return self._server.process

    def start(self, timeout: float = 30.0) -> None:
        """Start the server and return once it answers HTTP (it seeds users on first start)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._server.start(timeout)

    def stop(self) -> None:
        """Stop the server as Ctrl-C would; kill it if it does not stop in time."""
        self._server.stop()

    def log(self) -> str:
        """The end of the server's output, for failure messages."""
        return self._server.log()

    def token(self, username: str) -> tuple[str, str]:
        """`python -m demo token <username> --json` with this server's settings."""
        result = subprocess.run(
            [sys.executable, "-m", "demo", "token", username, "--json"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        data = json.loads(result.stdout)
        return str(data["token"]), str(data["user_id"])
