"""What a test needs from the machine, and what happens when it is missing: locally a missing
service or tool skips with a message saying what is missing; with CI=true it fails instead, so
CI can never pass by skipping what it is meant to prove."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = ["IN_CI", "ROOT", "unavailable"]

ROOT = Path(__file__).resolve().parents[2]
"""The repository's root directory."""

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(what: str) -> None:
    """Skip locally; fail loudly in CI."""
    if IN_CI:
        pytest.fail(f"{what} (CI=true: this must not be skipped)", pytrace=False)
    pytest.skip(f"{what}; skipped locally, a failure when CI=true")
