"""Codegen fixtures: the golden SDK of tests/codegen/app.py and how it is regenerated."""

from __future__ import annotations

import pytest

from liveui.codegen.schema import SdkSchema, schema_from_dispatch
from liveui.codegen.sdk import render_sdk

from .app import app
from .golden_files import GOLDEN_COMMAND


@pytest.fixture(scope="session")
def sdk_schema() -> SdkSchema:
    """The SDK schema of tests/codegen/app.py (not tests/support/dispatch_schema.py's `schema`)."""
    return schema_from_dispatch(app.state.dispatch)


@pytest.fixture(scope="session")
def rendered(sdk_schema: SdkSchema) -> dict[str, str]:
    return render_sdk(sdk_schema, GOLDEN_COMMAND)
