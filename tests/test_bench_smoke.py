"""The benchmarks still run: each mode at a tiny size, in a subprocess (they pin CPUs), checking
only that it finishes and prints its figures. No speed or memory figure is asserted here (see
docs/benchmarks.md); writes per commit are a count, not a speed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def bench(*args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.parametrize(
    "options",
    [
        ["--backend", "naive"],
        ["--backend", "memory"],
        ["--backend", "memory", "--ws", "websockets-sansio"],
        ["--backend", "memory", "--server", "uvicorn-h11", "--ws", "wsproto"],
        ["--backend", "memory", "--server", "granian"],
        ["--backend", "naive", "--server", "hypercorn"],
    ],
    ids=["naive", "liveui", "liveui-websockets-sansio", "liveui-h11-wsproto", "liveui-granian",
         "naive-hypercorn"],
)
def test_fanout_one_broadcast_at_a_time(options: list[str]) -> None:
    out = bench("bench.fanout", *options, "--clients", "5", "--messages", "3", "--wave", "1")
    assert "deliveries=15 " in out and "deliveries_per_server_cpu_s=" in out


@pytest.mark.parametrize("transport", ["naive", "sse"])
def test_live_sessions(transport: str) -> None:
    out = bench(
        "bench.live_sessions", "--transport", transport, "--sessions", "10", "--updates", "2"
    )
    assert "patches=20 " in out and "patches_per_server_cpu_s=" in out


@pytest.mark.parametrize("server", ["granian", "hypercorn"])
def test_live_sessions_on_other_servers(server: str) -> None:
    out = bench("bench.live_sessions", "--transport", "ws", "--server", server,
                "--sessions", "10", "--updates", "2")
    assert "patches=20 " in out and f"server={server} " in out


def test_render_key() -> None:
    assert "speedup_component=" in bench("bench.render_key", "--rounds", "10")


def test_row_root() -> None:
    assert "check_share=" in bench("bench.row_root", "--rounds", "10")


@pytest.mark.parametrize("transport", ["sse", "ws"])
def test_hidden_tabs(transport: str) -> None:
    out = bench("bench.hidden_tabs", "--transport", transport, "--sessions", "10", "--waves", "2")
    assert "hidden=8 " in out and "saved_pct=" in out


@pytest.mark.e2e
def test_many_tabs(chromium_path: str) -> None:
    out = bench("bench.many_tabs", "--transport", "ws", "--tabs", "2")
    assert "transport=ws tabs=2 loaded=2 " in out and "reach_ms_max=" in out


@pytest.mark.postgres
def test_reconnect_storm(postgres_url: str) -> None:
    out = bench("bench.reconnect_storm", "--tabs", "10", "--sockets", "10", "--timeout", "60",
                "--gc-threshold", "700,10,100", "--database-url", postgres_url)
    assert "clients=20" in out and "naive_selects=" in out
    assert "gc.set_threshold: [700, 10, 100]" in out


@pytest.mark.postgres
def test_soak(postgres_url: str) -> None:
    out = bench("bench.soak", "--minutes", "2", "--minute-s", "1", "--tabs", "10",
                "--sockets", "3", "--database-url", postgres_url)
    assert "minute=2 " in out and "rss_max_deviation_pct=" in out


def test_aggregates_beside_counters() -> None:
    out = bench("bench.aggregates", "--users", "6", "--orders", "12", "--commits", "2",
                "--recounts", "1")
    for kind in ("naive", "counters", "aggregates"):
        assert f"\n{kind} " in out or out.startswith(f"{kind} "), out
    assert out.count("recount_ms=") == 3, out


def test_uploads() -> None:
    out = bench("bench.uploads", "--size-mb", "2")
    assert "liveui-refused" in out and "naive-body" in out and "peak growth MB" in out


@pytest.mark.parametrize("transport", ["sse", "ws"])
def test_real_commits(transport: str) -> None:
    out = bench("bench.real_commits", "--transport", transport, "--tabs", "6", "--users", "2",
                "--commits", "2")
    # Both write once per tab per commit: liveui's counters wait for the read of the commit's
    # rows and leave with them (docs/live.md, "One write per tab per loop turn").
    sides = ("liveui: tabs", "baseline: tabs")
    summary = [line for line in out.splitlines() if line.startswith(sides)]
    assert len(summary) == 2
    assert summary[0].startswith(f"liveui: tabs=6 users=2 transport={transport} ")
    writes = [float(re.search(r"writes_per_tab_commit=([\d.]+) ", line)[1]) for line in summary]
    # Two users' orders of a wave may overlap: a read may cover both (still one write each);
    # without the wait every commit with rows would be 2.00.
    assert 1.0 <= writes[0] < 1.5, summary[0]
    assert writes[1] == 1.0, summary[1]
    assert "ratio_updates_per_cpu_s=" in out
