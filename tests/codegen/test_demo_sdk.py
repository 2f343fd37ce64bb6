"""The demo's generated SDK (demo/spa/src/liveui) is kept in the repo: it must be up to date."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .golden_files import ROOT_DIR

COMMAND = ["gen", "ts", "--app", "demo.app:app", "--out", "demo/spa/src/liveui"]


def test_demo_sdk_is_up_to_date(tmp_path: Path) -> None:
    # A subprocess: importing the demo app must not leak into this test process.
    result = subprocess.run(
        [sys.executable, "-m", "liveui.cli", *COMMAND, "--check"],
        cwd=ROOT_DIR, capture_output=True, text=True, timeout=120,
        env={**os.environ, "LIVEUI_DEMO_DATA_DIR": str(tmp_path), "LIVEUI_SECRET_KEY": "x" * 32},
    )
    assert result.returncode == 0, (
        f"{result.stderr}\nRegenerate with: liveui {' '.join(COMMAND)}"
    )
