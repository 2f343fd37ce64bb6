"""What every benchmark here measures with: a pinned server process, its CPU time and RSS from
/proc, and percentiles.

The server runs on CPU 0 and the load client on CPU 1, so the server's CPU seconds are its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
from collections.abc import Coroutine
from typing import Any

import httpx

__all__ = [
    "CONTROL_LIMITS", "GcClock", "cpu_seconds", "cpu_split", "percentile", "rss_kb", "run_clients",
    "start_pinned_server", "stop_pinned_server",
]

SERVER_CPU, CLIENT_CPU = 0, 1
# The control client (httpx) idles through long connection phases: a kept-alive connection
# older than the servers' keep-alive timeout (uvicorn, hypercorn: 5 s) may be closed by the
# server just as a request is sent on it ("Server disconnected without sending a response").
CONTROL_LIMITS = httpx.Limits(keepalive_expiry=2.0)
CLK_TCK = os.sysconf("SC_CLK_TCK")


def start_pinned_server(command: list[str]) -> subprocess.Popen[bytes]:
    """Start the server on CPU 0 and move this (client) process to CPU 1."""
    server = subprocess.Popen(command)
    with contextlib.suppress(OSError):  # fewer than two CPUs: measure unpinned
        os.sched_setaffinity(server.pid, {SERVER_CPU})
        os.sched_setaffinity(0, {CLIENT_CPU})
    return server


def stop_pinned_server(server: subprocess.Popen[bytes]) -> None:
    """Terminate the server, killing it if it has not exited within 15 s."""
    server.terminate()
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(5)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def cpu_split(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds the process has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def percentile(values: list[float], q: float) -> float:
    """The `q` quantile (0..1) by nearest rank; 0.0 for no values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def run_clients(main: Coroutine[Any, Any, None]) -> None:
    """Run the bench's client side, on uvloop when it is installed (the clients must not be the
    bottleneck of what they measure)."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    uvloop.run(main)


class GcClock:
    """Seconds the cyclic garbage collector ran and its runs, per generation (`gc.callbacks`):
    the fan-out, the storm and the soak print them beside the server's CPU."""

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self.runs = [0, 0, 0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            generation = info["generation"]
            self.seconds[generation] += time.perf_counter() - self._started
            self.runs[generation] += 1
