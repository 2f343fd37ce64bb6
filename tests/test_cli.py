"""`liveui counters`: the declared counters of an app, for debugging a badge that stays put.
`--app` finds the Dispatch at `app.state.dispatch` (the demo) or, failing that, the one defined
in the app's module (the quick start)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def liveui(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIVEUI_DEMO_DATA_DIR": str(data_dir), "LIVEUI_SECRET_KEY": "x" * 32}
    return subprocess.run(
        [sys.executable, "-m", "liveui.cli", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )


def test_counters_lists_filter_triggers_and_index(tmp_path: Path) -> None:
    result = liveui("counters", "--app", "demo.app:app", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "pending_orders  (Order, owner orders.user_id)" in out
    assert "SELECT count(*) FROM orders WHERE orders.status = 'pending'" in out
    assert "admin_pending_orders  (Order, global, audience admin)" in out
    assert "unread_notifications" in out
    assert "CREATE INDEX" in out
    # Aggregates are listed with what they compute.
    assert "revenue  (Order, global, audience admin)" in out
    assert "computes SELECT sum(orders.amount_cents) FROM orders WHERE orders.status = " in out
    assert "my_spent  (Order, owner orders.user_id)" in out


def test_counters_with_a_bad_app_reference_exits_2(tmp_path: Path) -> None:
    result = liveui("counters", "--app", "no_such_module:app", data_dir=tmp_path)
    assert result.returncode == 2
    assert "no_such_module" in result.stderr


def test_counters_finds_the_dispatch_defined_beside_the_app(tmp_path: Path) -> None:
    result = liveui("counters", "--app", "docs.examples.quickstart.app:app", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "pending_orders  (Order, owner orders.user_id)" in result.stdout
