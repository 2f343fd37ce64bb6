"""Codegen fixtures: the golden SDK of tests/codegen/app.py and how it is regenerated."""

from __future__ import annotations

from pathlib import Path

import pytest

from liveui.codegen.schema import SdkSchema, schema_from_dispatch
from liveui.codegen.sdk import render_sdk

from .app import app

ROOT_DIR = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
GOLDEN_COMMAND = "liveui gen ts --app tests.codegen.app:app --out tests/codegen/golden"
"""Run from the repository root to refresh the golden files after an intended change."""


@pytest.fixture(scope="session")
def schema() -> SdkSchema:
    return schema_from_dispatch(app.state.dispatch)


@pytest.fixture(scope="session")
def rendered(schema: SdkSchema) -> dict[str, str]:
    return render_sdk(schema, GOLDEN_COMMAND)
