"""A tiny smoke run of `python -m bench.live_tables`: it runs, and liveui's shared read costs one
query per commit where the naive table costs one per session (no timing is asserted)."""

from __future__ import annotations

from pathlib import Path

from bench.live_tables import measure


async def test_the_benchmark_runs_and_counts_queries(tmp_path: Path) -> None:
    live = await measure("liveui", 20, 4, tmp_path / "live.db")
    naive = await measure("naive", 20, 2, tmp_path / "naive.db")
    assert live["queries_per_commit"] == 1
    assert naive["queries_per_commit"] == 20
    assert live["patches"] == 20 * 4 and naive["patches"] == 20 * 2
