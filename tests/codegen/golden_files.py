"""Where the golden SDK of tests/codegen/app.py lives, and the command that regenerates it."""

from __future__ import annotations

from pathlib import Path

__all__ = ["GOLDEN", "GOLDEN_COMMAND", "ROOT_DIR"]

ROOT_DIR = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
GOLDEN_COMMAND = "liveui gen ts --app tests.codegen.app:app --out tests/codegen/golden"
"""Run from the repository root to refresh the golden files after an intended change."""
