"""The generated SDK compiles with `tsc --strict` (and more), with no `any` in its public types."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.orm import DeclarativeBase

from liveui import Dispatch, DispatchSettings, notification_fields, notification_model, user_events
from liveui.codegen.schema import schema_from_dispatch
from liveui.codegen.sdk import render_sdk, write_sdk
from liveui.codegen.types_ts import render_types

from .golden_files import GOLDEN
from .typescript import ROOT, compile_ts, run_tsc


class Base(DeclarativeBase):
    pass


Notification = notification_model(Base, tablename="codegen_ts_notifications")


@notification_fields({"id": "string", "read": "boolean", "title": "string",
                      "data": "{ [key: string]: JsonValue }", "kind": "NotificationType"})
def custom_serializer(n: object) -> dict[str, object]:
    return {}


def _write(directory: Path, dispatch: Dispatch) -> Path:
    write_sdk(directory, render_sdk(schema_from_dispatch(dispatch), "liveui gen ts"))
    return directory


def test_sdks_type_check_and_export_no_any(tmp_path: Path, node_path: str) -> None:
    sdks = [
        GOLDEN,
        # No counters and no notifications: every record is empty, CounterName is never.
        _write(tmp_path / "empty", Dispatch(DispatchSettings())),
        _write(tmp_path / "custom", Dispatch(DispatchSettings(
            notification_model=Notification, notification_serializer=custom_serializer
        ))),
    ]
    out = tmp_path / "declarations"
    compile_ts(node_path, tmp_path, sdks, out_dir=out, declarations=True)
    declarations = list(out.rglob("*.d.ts"))
    assert len(declarations) == 15, declarations
    for path in declarations:
        code = re.sub(r"/\*.*?\*/|//[^\n]*", "", path.read_text(), flags=re.S)
        assert not re.search(r"\bany\b", code), f"{path} exports `any`:\n{code}"


def test_the_demo_spa_type_checks(tmp_path: Path, node_path: str) -> None:
    """The example app, against its generated SDK, with its own tsconfig."""
    run_tsc(node_path, ROOT / "demo" / "spa" / "tsconfig.json")


def test_payload_interfaces_are_generated_from_the_shape_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schema = schema_from_dispatch(Dispatch(DispatchSettings()))
    rendered = render_types(schema)
    for event, fields in user_events.PAYLOAD_SHAPES.items():
        for field in fields:
            assert f"  {field.name}: {field.ts_type};" in rendered, (event, field.name)
    assert "marked_count" not in rendered and "invalidate_queries" not in rendered
    changed = {**user_events.PAYLOAD_SHAPES,
               "notification_read": (user_events.Field("notificationId", "string"),)}
    monkeypatch.setattr("liveui.codegen.types_ts.PAYLOAD_SHAPES", changed)
    assert "  notificationId: string;" in render_types(schema)
