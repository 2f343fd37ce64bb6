"""The TypeScript shape of a notification, exactly as the configured serializer emits it.

The default serializer's shape is known here. A custom serializer describes its own with the
`notification_fields` decorator, in TypeScript type syntax (`JsonValue` and `NotificationType`
are defined by the generated types.ts):

    @notification_fields({"id": "string", "read": "boolean", "title": "string",
                          "url": "string | null", "createdAt": "string"})
    def serialize(n): return {"id": n.id, "read": n.read, ...}

The SDK's store needs `id: string` and `read: boolean`; an undescribed custom serializer gets
an open shape with only those two known.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from ..dispatch.notification_table import default_serializer
from ..errors import ConfigurationError
from .tslit import string

__all__ = [
    "DEFAULT_NOTIFICATION_FIELDS",
    "OPEN_NOTIFICATION_FIELDS",
    "NotificationField",
    "notification_fields",
    "property_name",
    "shape_of",
]

F = TypeVar("F", bound=Callable[..., Any])

ATTRIBUTE = "__liveui_ts_fields__"
INDEX = "[key: string]"
"""A field with this name is rendered as an index signature (an open shape)."""

_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


@dataclass(frozen=True, slots=True)
class NotificationField:
    name: str
    ts_type: str
    doc: str = ""


DEFAULT_NOTIFICATION_FIELDS: tuple[NotificationField, ...] = (
    NotificationField("id", "string", "A UUID."),
    NotificationField("type", "NotificationType"),
    NotificationField("title", "string"),
    NotificationField("message", "string", "Plain text: escape it when rendering HTML."),
    NotificationField("read", "boolean"),
    NotificationField("metadata", "{ [key: string]: JsonValue }"),
    NotificationField("actionLabel", "string | null"),
    NotificationField("actionUrl", "string | null"),
    NotificationField("insertedAt", "string", "ISO-8601 in UTC, e.g. 2025-01-31T12:00:00Z."),
)

OPEN_NOTIFICATION_FIELDS: tuple[NotificationField, ...] = (
    NotificationField("id", "string"),
    NotificationField("read", "boolean"),
    NotificationField(INDEX, "JsonValue", "Undescribed: see liveui.codegen.notification_fields."),
)


def notification_fields(fields: Mapping[str, str]) -> Callable[[F], F]:
    """Describe a custom notification serializer's output for `liveui gen ts`."""
    described = _validate(fields, "notification_fields")

    def mark(serializer: F) -> F:
        setattr(serializer, ATTRIBUTE, described)
        return serializer

    return mark


def shape_of(serializer: Callable[..., Any]) -> tuple[NotificationField, ...]:
    if serializer is default_serializer:
        return DEFAULT_NOTIFICATION_FIELDS
    described = getattr(serializer, ATTRIBUTE, None)
    if described is None:
        name = getattr(serializer, "__qualname__", repr(serializer))
        print(
            f"liveui gen ts: the notification serializer {name} is not described; the "
            f"Notification type is open. Describe it with @notification_fields({{...}}).",
            file=sys.stderr,
        )
        return OPEN_NOTIFICATION_FIELDS
    fields: tuple[NotificationField, ...] = described
    return fields


def _validate(fields: Mapping[str, str], where: str) -> tuple[NotificationField, ...]:
    out: list[NotificationField] = []
    for name, ts_type in fields.items():
        if not isinstance(name, str) or not isinstance(ts_type, str) or not ts_type.strip():
            raise ConfigurationError(f"{where}: {name!r} needs a TypeScript type string")
        if "\n" in ts_type or "any" in re.findall(r"[A-Za-z_]+", ts_type):
            raise ConfigurationError(f"{where}: {name!r} has type {ts_type!r}: one line, no any")
        out.append(NotificationField(name, ts_type.strip()))
    types = {f.name: f.ts_type for f in out}
    if types.get("id") != "string" or types.get("read") != "boolean":
        raise ConfigurationError(
            f"{where}: the SDK needs \"id\": \"string\" and \"read\": \"boolean\" "
            f"(got id={types.get('id')!r}, read={types.get('read')!r})"
        )
    return tuple(out)


def property_name(name: str) -> str:
    """A TypeScript property name: bare when an identifier, quoted otherwise."""
    if name == INDEX or _IDENTIFIER.match(name):
        return name
    return string(name)
