"""A tiny smoke run of `python -m bench.live_views`: it runs, every session ends equal to the
SQL of its view (checked inside `measure`), and liveui's reads are bounded by the number of
distinct views where the baseline costs one query per session (no timing is asserted)."""

from __future__ import annotations

from pathlib import Path

from bench.live_views import measure


async def test_the_benchmark_runs_and_reads_once_per_view(tmp_path: Path) -> None:
    live = await measure("liveui", 60, 4, tmp_path / "live.db")
    naive = await measure("naive", 60, 2, tmp_path / "naive.db")
    assert live["views"] == 20
    # One read per view and commit, plus at most a shared refill per view.
    assert 20 <= live["queries_per_commit"] <= 40
    assert naive["queries_per_commit"] == 60
