"""`NotificationLoader`: list, create and mark in-app notifications; events go out after commit.

The first page of a user's notifications (page render, reconnect, join) is loaded through a
`LoadBatcher`: the users whose loads arrive together share one query (`row_number()` per user).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..errors import ConfigurationError, Forbidden, NotFound
from ..user_events import (
    ALL_NOTIFICATIONS_READ,
    NOTIFICATION_DELETED,
    NOTIFICATION_READ,
    all_notifications_read,
    notification_read,
    user_topic,
)
from .changes import ChangeSet
from .counter_loader import OWNER_CHUNK, coerce_id
from .counter_registry import UNREAD_NOTIFICATIONS
from .database import Database
from .load_batcher import LoadBatcher
from .notification_table import (
    NOTIFICATION_TYPES,
    NotificationSerializer,
    default_serializer,
    iso,
    utcnow,
)
from .one_of import one_of

__all__ = ["NotificationLoader", "parse_cursor"]

MAX_LIMIT = 500
MAX_LISTED_IDS = 1000
"""Ids an `all_notifications_read` event lists; beyond, its cut-off stands for them."""


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
        self.batcher: LoadBatcher[list[Any]] = LoadBatcher(self._load_batch)

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
        self,
        user_id: Any,
        limit: int = 50,
        serializer: NotificationSerializer | None = None,
        *,
        before: str | None = None,
    ) -> list[Any]:
        """The user's newest notifications first, serialized; with `before` (a cursor from
        `notification_cursor` of the last one shown), the next page after it."""
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise ValueError(f"limit must be a non-negative integer, got {limit!r}")
        limit = min(limit, MAX_LIMIT)
        model, serialize = self.model, serializer or self.serializer
        uid = self._uid(user_id)
        if before is None:  # the first page: batched with the other users' (see the module)
            return await self.batcher.load((limit, serialize), uid)
        after = parse_cursor(before)

        def load(conn: Connection) -> list[Any]:
            inserted, nid = after
            query = select(model).where(model.user_id == uid).where(or_(
                model.inserted_at < inserted,
                and_(model.inserted_at == inserted, model.id < nid),
            ))
            with Session(bind=conn) as session:
                rows = session.scalars(
                    query.order_by(model.inserted_at.desc(), model.id.desc()).limit(limit)
                ).all()
                return [serialize(row) for row in rows]

        return await self.database.read(load)

    async def _load_batch(
        self, key: Hashable, user_ids: Sequence[Hashable]
    ) -> dict[Hashable, list[Any]]:
        assert isinstance(key, tuple)
        limit: int = key[0]
        serialize: NotificationSerializer = key[1]
        model = self.model
        newest_first = (model.inserted_at.desc(), model.id.desc())

        def load(conn: Connection) -> dict[Hashable, list[Any]]:
            found: dict[Hashable, list[Any]] = {u: [] for u in user_ids}
            if limit == 0:
                return found
            with Session(bind=conn) as session:
                for i in range(0, len(user_ids), OWNER_CHUNK):
                    # Each user's newest `limit`, numbered per user by the database.
                    ranked = (
                        select(model.id, func.row_number().over(
                            partition_by=model.user_id, order_by=newest_first
                        ).label("rank"))
                        .where(one_of(conn, model.user_id, user_ids[i : i + OWNER_CHUNK]))
                        .subquery()
                    )
                    query = (
                        select(model)
                        .join(ranked, model.id == ranked.c.id)
                        .where(ranked.c.rank <= limit)
                        .order_by(model.user_id, *newest_first)
                    )
                    for row in session.scalars(query):
                        found[row.user_id].append(serialize(row))
            return found

        return await self.database.read(load)

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

        return await self.database.read(load)

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

        def mark(conn: Connection) -> list[str]:
            # The ids first, then exactly those: a notification committed in between (inserted
            # earlier, visible later) stays unread here and in every reader.
            ids = list(conn.execute(
                select(table.c.id).where(
                    table.c.user_id == uid,
                    table.c.read == False,  # noqa: E712 (SQL)
                    table.c.inserted_at <= cutoff,
                )
            ).scalars())
            for i in range(0, len(ids), 1000):
                chunk = ids[i : i + 1000]
                conn.execute(update(table).where(table.c.id.in_(chunk)).values(read=True))
            conn.commit()
            return [str(i) for i in ids]

        marked = await self.database.run(mark)
        count = len(marked)
        listed = marked if count <= MAX_LISTED_IDS else None
        changes = ChangeSet()
        changes.events.append((
            user_topic(uid), ALL_NOTIFICATIONS_READ,
            all_notifications_read(count, iso(cutoff), listed),
        ))
        changes.touch(UNREAD_NOTIFICATIONS, uid)
        self._committed(changes)
        return {"marked_count": count}

    async def delete(self, notification_id: Any, *, actor: Any) -> None:
        """Delete one notification; `Forbidden` unless `actor` owns it, `NotFound` when it is
        gone. Its owner's tabs drop it (`notification_deleted`) after the commit."""
        nid = _parse_id(notification_id)
        actor_id = self.actor_id(actor)
        model = self.model

        def remove(conn: Connection) -> Any:
            with Session(bind=conn) as session:
                found = session.get(model, nid)
                if found is None:
                    raise NotFound(f"no notification {nid}")
                if str(found.user_id) != str(actor_id):
                    raise Forbidden(f"notification {nid} belongs to another user")
                owner = found.user_id
                session.delete(found)
                session.commit()
                return owner

        owner = await self.database.run(remove)
        changes = ChangeSet()
        changes.events.append((user_topic(owner), NOTIFICATION_DELETED, notification_read(nid)))
        changes.touch(UNREAD_NOTIFICATIONS, owner)
        self._committed(changes)

    async def prune(
        self, older_than: timedelta, *, read_only: bool = False, batch_size: int = 1000
    ) -> int:
        """Delete notifications inserted more than `older_than` ago (only read ones with
        `read_only`), `batch_size` rows per transaction so the table is never locked for long;
        returns how many. Nothing is broadcast per row; the owners' unread counters are
        recounted. Run it on a schedule (docs/dispatch.md)."""
        if older_than <= timedelta(0) or batch_size < 1:
            raise ValueError("prune needs a positive age and batch size")
        model = self.model
        table = model.__table__
        cutoff = utcnow() - older_than

        def prune_batch(conn: Connection) -> tuple[int, set[Any]]:
            query = select(table.c.id, table.c.user_id).where(table.c.inserted_at < cutoff)
            if read_only:
                query = query.where(table.c.read == True)  # noqa: E712 (SQL)
            rows = conn.execute(query.limit(batch_size)).all()
            if not rows:
                return 0, set()
            conn.execute(delete(table).where(table.c.id.in_([row.id for row in rows])))
            conn.commit()
            return len(rows), {row.user_id for row in rows}

        pruned = 0
        owners: set[Any] = set()
        while True:
            count, touched = await self.database.run(prune_batch)
            pruned += count
            owners |= touched
            if count < batch_size:
                break
        if owners:
            changes = ChangeSet()
            for owner in owners:
                changes.touch(UNREAD_NOTIFICATIONS, owner)
            self._committed(changes)
        return pruned

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


def parse_cursor(cursor: Any) -> tuple[datetime, str]:
    """A cursor (`user_events.notification_cursor`) back to (inserted_at, id); `ValueError` for
    anything else (it is client input)."""
    if not isinstance(cursor, str) or cursor.count("|") != 1 or len(cursor) > 100:
        raise ValueError("not a notification cursor")
    inserted, nid = cursor.split("|")
    when = datetime.fromisoformat(inserted.replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise ValueError("not a notification cursor")
    return when.astimezone(UTC), _parse_id_or_value_error(nid)


def _parse_id_or_value_error(value: str) -> str:
    try:
        return _parse_id(value)
    except NotFound:
        raise ValueError("not a notification cursor") from None


def _parse_id(value: Any) -> str:
    if not isinstance(value, (str, uuid.UUID)):
        raise NotFound(f"notification id {value!r} is not a UUID")
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise NotFound(f"notification id {value!r} is not a UUID") from None
