"""`ServerProcess`: an app served by its own process, for tests that restart it, run several
nodes, or run an installed copy — started, awaited until it answers HTTP, stopped as Ctrl-C
would (killed if it lingers), with its output kept for failure messages."""

from __future__ import annotations

import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["ServerProcess"]


class ServerProcess:
    def __init__(
        self,
        argv: Sequence[str],
        *,
        url: str,
        log_path: Path,
        ready_path: str = "/",
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        name: str = "server",
        stop_signal: signal.Signals = signal.SIGINT,
    ) -> None:
        """`argv` serves the app at `url`; it is ready once `url + ready_path` answers HTTP
        (any status: the server is up). Its stdout and stderr go to `log_path`."""
        self.argv = list(argv)
        self.url = url
        self.log_path = log_path
        self.ready_path = ready_path
        self.cwd = cwd
        self.env = env  # read at each start: a caller may change it between restarts
        self.name = name
        self.stop_signal = stop_signal
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 30.0) -> None:
        """Start it and return once it answers; RuntimeError with its output if it exits or
        stays silent for `timeout` seconds."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv, cwd=self.cwd, env=None if self.env is None else dict(self.env),
                stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"{self.name} exited with {code}:\n{self.log()}")
            if self._answers():
                return
            time.sleep(0.05)  # polling a port: there is no event to wait on
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {timeout}s:\n{self.log()}")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + self.ready_path, timeout=1):
                return True
        except urllib.error.HTTPError:
            return True  # an HTTP error is an answer: the server is up
        except (urllib.error.URLError, OSError):
            return False

    def stop(self, timeout: float = 10.0) -> None:
        """Stop it with `stop_signal`; kill it if it has not exited after `timeout` seconds."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(self.stop_signal)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    def log(self) -> str:
        """The end of its output, for failure messages."""
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""
