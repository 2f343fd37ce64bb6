"""Runs tests/js/store.test.mjs (`node --test`): the generated store against a real server.

The SDK under test is the golden one of tests/codegen (its own test keeps it equal to what the
generator makes), compiled here with the pinned `tsc`. The Node test starts and restarts the
server (tests.codegen.app on uvicorn) itself, on a port chosen here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from liveui.testing import free_port
from tests.codegen.golden_files import GOLDEN
from tests.codegen.typescript import ROOT, compile_ts

pytestmark = pytest.mark.compat

STORE_TEST = Path(__file__).parent / "store.test.mjs"


def test_store_against_a_real_server(tmp_path: Path, node_path: str) -> None:
    sdk = tmp_path / "sdk"
    compile_ts(node_path, tmp_path, [GOLDEN], out_dir=sdk)
    (sdk / "package.json").write_text(json.dumps({"type": "module"}))
    (sdk / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    env = {
        **os.environ,
        "LIVEUI_SDK_DIR": str(sdk),
        "LIVEUI_PYTHON": sys.executable,
        "LIVEUI_ROOT": str(ROOT),
        "LIVEUI_PORT": str(free_port()),
        "LIVEUI_DB": str(tmp_path / "store.db"),
    }
    result = subprocess.run(
        [node_path, "--test", "--test-reporter=tap", str(STORE_TEST)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    report = f"{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, report
    assert "# fail 0" in report and "# pass 11" in report, report
