"""A redis-server of one test only, on a free port of loopback, never the machine's shared one:
stop and start it to cause an outage. Fixture `redis_server` (started), registered for the whole
suite by `tests/conftest.py`."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator

import pytest

from liveui.testing import free_port

from .availability import unavailable
from .waiting import block_until

__all__ = ["RedisServer", "redis_server"]


class RedisServer:
    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        """Start it (no persistence) and return once it answers PING."""
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        block_until(self.answers, timeout, f"redis-server on port {self.port}")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), 0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait(10)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A started throwaway redis-server, stopped after the test."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server is not installed (Debian package redis-server)")
        raise AssertionError("unreachable")
    server = RedisServer(binary)
    server.start()
    try:
        yield server
    finally:
        server.stop()
