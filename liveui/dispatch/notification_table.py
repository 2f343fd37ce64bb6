"""The in-app notification table, declared on the app's own Base (so Alembic sees it).

    # myapp/models.py
    class Base(DeclarativeBase): ...
    Notification = notification_model(Base, user_fk="users.id")

Because the class lives on `Base.metadata`, `alembic revision --autogenerate` picks the table up
like any other model (see docs/dispatch.md). A bare `MetaData` works too.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, mapped_column
from sqlalchemy.types import TypeEngine

__all__ = [
    "NOTIFICATION_TYPES",
    "NotificationSerializer",
    "default_serializer",
    "notification_model",
]

NOTIFICATION_TYPES = ("info", "success", "warning", "error")

NotificationSerializer = Callable[[Any], Any]


def notification_model(
    base: type[DeclarativeBase] | MetaData,
    *,
    tablename: str = "liveui_notifications",
    user_fk: str | None = None,
    user_id_type: TypeEngine[Any] | type[TypeEngine[Any]] | None = None,
    class_name: str = "Notification",
) -> type[Any]:
    """A mapped `Notification` class on `base` (a declarative Base, or a MetaData).

    `user_fk` ("users.id") adds a foreign key and takes the user id type from the referenced
    column; otherwise `user_id_type` (default `String(64)`) is used.
    """
    if isinstance(base, MetaData):
        base = type(f"{class_name}Base", (DeclarativeBase,), {"metadata": base})
    if user_id_type is None and user_fk is None:
        user_id_type = String(64)
    user_args: list[Any] = [] if user_id_type is None else [user_id_type]
    if user_fk is not None:
        user_args.append(ForeignKey(user_fk, ondelete="CASCADE"))
    namespace: dict[str, Any] = {
        "__tablename__": tablename,
        "__table_args__": (
            # load_recent: newest first per user; the unread counter: per user and state.
            Index(f"ix_{tablename}_user_inserted", "user_id", "inserted_at"),
            Index(f"ix_{tablename}_user_read", "user_id", "read"),
        ),
        "id": mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4())),
        "user_id": mapped_column(*user_args, nullable=False),
        "type": mapped_column(String(16), nullable=False, default="info"),
        "title": mapped_column(String(255), nullable=False),
        "message": mapped_column(Text, nullable=False, default=""),
        "read": mapped_column(Boolean, nullable=False, default=False),
        "meta": mapped_column("metadata", JSON, nullable=False, default=dict),
        "action_label": mapped_column(String(255), nullable=True),
        "action_url": mapped_column(String(2048), nullable=True),
        "inserted_at": mapped_column(DateTime(timezone=True), nullable=False, default=utcnow),
        "__repr__": _repr,
    }
    return type(class_name, (base,), namespace)


def _repr(self: Any) -> str:
    return f"<Notification {self.id} user={self.user_id} {self.type} {self.title!r}>"


_clock_lock = threading.Lock()
_last_now = datetime.min.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """UTC now, strictly increasing within the process, so "newest first" is a total order."""
    global _last_now
    with _clock_lock:
        now = datetime.now(UTC)
        if now <= _last_now:
            now = _last_now + timedelta(microseconds=1)
        _last_now = now
        return now


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite returns naive datetimes; they were stored as UTC
        value = value.replace(tzinfo=UTC)
    return value.isoformat().replace("+00:00", "Z")


def default_serializer(notification: Any) -> dict[str, Any]:
    """camelCase keys for JavaScript; text is passed through unchanged (renderers escape)."""
    return {
        "id": notification.id,
        "type": notification.type,
        "title": notification.title,
        "message": notification.message,
        "read": bool(notification.read),
        "metadata": dict(notification.meta or {}),
        "actionLabel": notification.action_label,
        "actionUrl": notification.action_url,
        "insertedAt": iso(notification.inserted_at),
    }
