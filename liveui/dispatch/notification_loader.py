"""`NotificationLoader`: list, create and mark in-app notifications; events go out after commit."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..errors import ConfigurationError, Forbidden, NotFound
from ..user_events import (
    ALL_NOTIFICATIONS_READ,
    NOTIFICATION_READ,
    all_notifications_read,
    notification_read,
    user_topic,
)
from .changes import ChangeSet
from .counter_loader import coerce_id
from .database import Database
from .notification_table import (
    NOTIFICATION_TYPES,
    NotificationSerializer,
    default_serializer,
    iso,
    utcnow,
)
from .registry import UNREAD_NOTIFICATIONS

__all__ = ["NotificationLoader"]

MAX_LIMIT = 500


class NotificationLoader:
    def __init__(
        self,
        model: type[Any] | None,
        database: Database,
        committed: Callable[[ChangeSet], None],
        serializer: NotificationSerializer | None = None,
        user_id_attr: str = "id",
    ) -> None:
        self._model = model
        self.database = database
        self._committed = committed
        self.serializer: NotificationSerializer = serializer or default_serializer
        self._user_id_attr = user_id_attr

    @property
    def configured(self) -> bool:
        return self._model is not None

    @property
    def model(self) -> type[Any]:
        if self._model is None:
            raise ConfigurationError(
                "DispatchSettings.notification_model is not set: create one with "
                "notification_model(Base) and pass it in the settings"
            )
        return self._model

    # reading ---------------------------------------------------------------------------------
    async def load_recent(
        self, user_id: Any, limit: int = 50, serializer: NotificationSerializer | None = None
    ) -> list[Any]:
        """The user's newest notifications first, serialized."""
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise ValueError(f"limit must be a non-negative integer, got {limit!r}")
        limit = min(limit, MAX_LIMIT)
        model, serialize = self.model, serializer or self.serializer
        uid = self._uid(user_id)

        def load(conn: Connection) -> list[Any]:
            with Session(bind=conn) as session:
                rows = session.scalars(
                    select(model)
                    .where(model.user_id == uid)
                    .order_by(model.inserted_at.desc(), model.id.desc())
                    .limit(limit)
                ).all()
                return [serialize(row) for row in rows]

        return await self.database.run(load)

    async def get(self, notification_id: Any) -> Any:
        nid = _parse_id(notification_id)
        model = self.model

        def load(conn: Connection) -> Any:
            with Session(bind=conn, expire_on_commit=False) as session:
                found = session.get(model, nid)
                if found is None:
                    raise NotFound(f"no notification {nid}")
                session.expunge(found)
                return found

        return await self.database.run(load)

    # writing ---------------------------------------------------------------------------------
    async def mark_as_read(self, notification_id: Any, *, actor: Any) -> Any:
        """Mark one notification read; `Forbidden` unless `actor` owns it. Idempotent."""
        nid = _parse_id(notification_id)
        actor_id = self.actor_id(actor)
        model = self.model

        def mark(conn: Connection) -> tuple[Any, bool]:
            with Session(bind=conn, expire_on_commit=False) as session:
                found = session.get(model, nid)
                if found is None:
                    raise NotFound(f"no notification {nid}")
                if str(found.user_id) != str(actor_id):
                    raise Forbidden(f"notification {nid} belongs to another user")
                result = session.execute(
                    update(model)
                    .where(model.id == nid, model.read == False)  # noqa: E712 (SQL)
                    .values(read=True)
                    .execution_options(synchronize_session=False)
                )
                changed = getattr(result, "rowcount", 0) == 1
                session.commit()
                set_committed_value(found, "read", True)
                session.expunge(found)
                return found, changed

        found, changed = await self.database.run(mark)
        if changed:
            changes = ChangeSet()
            changes.events.append(
                (user_topic(found.user_id), NOTIFICATION_READ, notification_read(nid))
            )
            changes.touch(UNREAD_NOTIFICATIONS, found.user_id)
            self._committed(changes)
        return found

    async def mark_all_as_read(self, user_id: Any, *, actor: Any) -> dict[str, int]:
        """Mark every unread notification of `user_id` inserted until now read; `Forbidden` for
        another actor.

        The event carries that cut-off (`readBefore`): a reader applies the same rule to a
        `new_notification` that reaches it later (from another node), so it agrees with the
        table whatever order the two events arrive in.
        """
        if str(self.actor_id(actor)) != str(user_id):
            raise Forbidden(f"actor may not mark the notifications of user {user_id} as read")
        model = self.model
        uid = self._uid(user_id)
        table = model.__table__
        cutoff = utcnow()

        def mark(conn: Connection) -> int:
            result = conn.execute(
                update(table)
                .where(
                    table.c.user_id == uid,
                    table.c.read == False,  # noqa: E712 (SQL)
                    table.c.inserted_at <= cutoff,
                )
                .values(read=True)
            )
            conn.commit()
            return int(result.rowcount)

        count = await self.database.run(mark)
        changes = ChangeSet()
        changes.events.append(
            (user_topic(uid), ALL_NOTIFICATIONS_READ, all_notifications_read(count, iso(cutoff)))
        )
        changes.touch(UNREAD_NOTIFICATIONS, uid)
        self._committed(changes)
        return {"marked_count": count}

    def build(
        self,
        user_id: Any,
        *,
        title: str,
        message: str = "",
        type: str = "info",
        metadata: Mapping[str, Any] | None = None,
        action_label: str | None = None,
        action_url: str | None = None,
    ) -> Any:
        """A new, validated, not yet stored notification."""
        if type not in NOTIFICATION_TYPES:
            raise ValueError(f"notification type must be one of {NOTIFICATION_TYPES}, got {type!r}")
        if not isinstance(title, str) or not title:
            raise ValueError("a notification needs a non-empty title")
        if not isinstance(message, str):
            raise ValueError("a notification message must be a string")
        for name, value in (("action_label", action_label), ("action_url", action_url)):
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{name} must be a string or None")
        meta = dict(metadata or {})
        try:
            json.dumps(meta)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"notification metadata must be JSON-serializable: {exc}") from exc
        return self.model(
            id=str(uuid.uuid4()),
            user_id=self._uid(user_id),
            type=type,
            title=title,
            message=message,
            read=False,
            meta=meta,
            action_label=action_label,
            action_url=action_url,
            inserted_at=utcnow(),
        )

    # helpers ---------------------------------------------------------------------------------
    def actor_id(self, actor: Any) -> Any:
        """An actor is a user id, or a user object whose id attribute names it."""
        if actor is None:
            raise Forbidden("an actor is required")
        if isinstance(actor, (str, int, uuid.UUID)):
            return actor
        return getattr(actor, self._user_id_attr)

    def _uid(self, user_id: Any) -> Any:
        return coerce_id(self.model.__table__.c.user_id, user_id)


def _parse_id(value: Any) -> str:
    if not isinstance(value, (str, uuid.UUID)):
        raise NotFound(f"notification id {value!r} is not a UUID")
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise NotFound(f"notification id {value!r} is not a UUID") from None
