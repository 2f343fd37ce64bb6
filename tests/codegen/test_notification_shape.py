"""The Notification type follows the configured serializer, field for field."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import DeclarativeBase

from liveui import (
    ConfigurationError,
    Dispatch,
    DispatchSettings,
    default_serializer,
    notification_fields,
    notification_model,
)
from liveui.codegen.notification_shape import DEFAULT_NOTIFICATION_FIELDS
from liveui.codegen.schema import schema_from_dispatch
from liveui.codegen.sdk import render_sdk


class Base(DeclarativeBase):
    pass


Notification = notification_model(Base, tablename="codegen_shape_notifications")


def test_default_fields_are_what_the_default_serializer_emits() -> None:
    notification = Dispatch(DispatchSettings(notification_model=Notification)).notifications.build(
        "7", title="Hi", metadata={"order": 1}, action_label="Open", action_url="/orders/1"
    )
    emitted = default_serializer(notification)
    assert [f.name for f in DEFAULT_NOTIFICATION_FIELDS] == list(emitted)
    kinds = {f.name: f.ts_type for f in DEFAULT_NOTIFICATION_FIELDS}
    for name, value in emitted.items():
        expected = {str: "string", bool: "boolean"}.get(type(value))
        if expected is not None and name != "type":
            assert kinds[name].split(" | ")[0] == expected, name


def _types_ts(serializer: Any) -> str:
    dispatch = Dispatch(
        DispatchSettings(notification_model=Notification, notification_serializer=serializer)
    )
    return render_sdk(schema_from_dispatch(dispatch), "liveui gen ts --app x:y --out z")["types.ts"]


def test_a_described_custom_serializer_shapes_the_type() -> None:
    @notification_fields({"id": "string", "read": "boolean", "headline": "string",
                          "link-url": "string | null"})
    def serialize(n: Any) -> dict[str, Any]:
        return {"id": n.id, "read": n.read, "headline": n.title, "link-url": n.action_url}

    text = _types_ts(serialize)
    assert (
        "export interface Notification {\n  id: string;\n  read: boolean;\n  headline: string;\n"
        '  "link-url": string | null;\n}\n'
    ) in text


def test_an_undescribed_custom_serializer_gets_an_open_type(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = _types_ts(lambda n: {"id": n.id, "read": n.read})
    assert "  id: string;\n  read: boolean;\n" in text
    assert "  [key: string]: JsonValue;\n" in text
    assert "@notification_fields" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"read": "boolean"}, 'needs "id": "string"'),
        ({"id": "number", "read": "boolean"}, 'needs "id": "string"'),
        ({"id": "string", "read": "boolean", "x": "any"}, "no any"),
        ({"id": "string", "read": "boolean", "x": ""}, "needs a TypeScript type"),
    ],
)
def test_bad_descriptions_are_refused(fields: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        notification_fields(fields)
