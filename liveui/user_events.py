"""The `user:<id>` topic: its name, its events and their payloads, and the data behind it.

Dispatch writes these events, the live components and `UserChannel` read them, the test helpers
match them and the TypeScript generator emits their names from here. One module, so the wire
contract cannot drift between its producers and its readers.

Server → client events on `user:<id>`:

| event                    | payload                                                               |
|--------------------------|-----------------------------------------------------------------------|
| `counter_updated`        | `{"counter", "value", "version", "metadata": {"invalidateQueries"}}`  |
| `counters_updated`       | `{"counters", "versions", "metadata": {"invalidateQueries"}}` (many)  |
| `aggregate_updated`      | `{"aggregate", "value", "version", "metadata": {"invalidateQueries"}}`|
| `new_notification`       | the serialized notification (`id`, `title`, `read`, `insertedAt`...)  |
| `notification_read`      | `{"id"}`                                                              |
| `notification_deleted`   | `{"id"}` (deleted by its owner; pruning sends nothing)                |
| `all_notifications_read` | `{"markedCount", "ids", "readBefore"}` (ids marked; else a cut-off)   |
| `initial_state`          | `{"counters", "versions", "notifications", "aggregates"}`             |

An aggregate's `value` is a decimal *string* in plain notation (`"1234.50"`, exact: money never
goes through a float, in Python or in JavaScript) or null (the average, minimum or maximum of
nothing). `initial_state.aggregates` maps each of the user's aggregates to `{"value",
"version"}`; it is present only when the app declares aggregates.

Versions order *reads*, not broadcasts: a counter's version is taken before the query that read
its value, so a stale read can never carry a newer version than a fresher one, whichever node
made it. Every reader keeps the value with the highest version.

`RENAMED_FIELDS` lists the fields whose AshDispatch name differs from liveui's; with
`DispatchSettings(ash_field_names=True)` every payload also carries those names
(`with_ash_field_names`), for a client written against AshDispatch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .row_events import CollectionsSource

__all__ = [
    "AGGREGATE_UPDATED",
    "ALL_NOTIFICATIONS_READ",
    "CLIENT_REQUESTS",
    "COUNTERS_UPDATED",
    "COUNTER_UPDATED",
    "INITIAL_STATE",
    "MARK_ALL_NOTIFICATIONS_READ",
    "MARK_NOTIFICATION_READ",
    "NEW_NOTIFICATION",
    "NOTIFICATION_DELETED",
    "NOTIFICATION_READ",
    "PAYLOAD_SHAPES",
    "REFRESH_COUNTERS",
    "RENAMED_FIELDS",
    "SERVER_EVENTS",
    "TOPIC_PREFIX",
    "AggregateUpdate",
    "AggregateValueLike",
    "AggregatesSource",
    "CounterUpdate",
    "CounterValueLike",
    "CountersSource",
    "Field",
    "NotificationsSource",
    "RenamedField",
    "UserDataSource",
    "aggregate_state",
    "aggregate_updated",
    "aggregate_wire_value",
    "all_notifications_read",
    "counter_state",
    "counter_updated",
    "counters_updated",
    "initial_state",
    "inserted_at",
    "notification_cursor",
    "notification_read",
    "read_aggregate_update",
    "read_all_notifications_read",
    "read_before_covers",
    "read_counter_update",
    "read_counter_updates",
    "read_marked_ids",
    "read_notification_id",
    "user_id_of",
    "user_topic",
    "with_ash_field_names",
]

TOPIC_PREFIX = "user:"

COUNTER_UPDATED = "counter_updated"
COUNTERS_UPDATED = "counters_updated"
AGGREGATE_UPDATED = "aggregate_updated"
NEW_NOTIFICATION = "new_notification"
NOTIFICATION_READ = "notification_read"
NOTIFICATION_DELETED = "notification_deleted"
ALL_NOTIFICATIONS_READ = "all_notifications_read"
INITIAL_STATE = "initial_state"
SERVER_EVENTS = (INITIAL_STATE, COUNTER_UPDATED, COUNTERS_UPDATED, AGGREGATE_UPDATED,
                 NEW_NOTIFICATION, NOTIFICATION_READ, NOTIFICATION_DELETED, ALL_NOTIFICATIONS_READ)

REFRESH_COUNTERS = "refresh_counters"
MARK_NOTIFICATION_READ = "mark_notification_read"
MARK_ALL_NOTIFICATIONS_READ = "mark_all_notifications_read"
CLIENT_REQUESTS = (REFRESH_COUNTERS, MARK_NOTIFICATION_READ, MARK_ALL_NOTIFICATIONS_READ)


# topics --------------------------------------------------------------------------------------
def user_topic(user_id: Any) -> str:
    return f"{TOPIC_PREFIX}{user_id}"


def user_id_of(topic: str) -> str | None:
    """The id part of a `user:<id>` topic; None for any other topic."""
    if not topic.startswith(TOPIC_PREFIX) or len(topic) == len(TOPIC_PREFIX):
        return None
    return topic[len(TOPIC_PREFIX):]


# payloads ------------------------------------------------------------------------------------
def counter_updated(
    name: str,
    value: int,
    version: int,
    invalidates: Sequence[str] = (),
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """`metadata` (a hand-made broadcast's) passes through untouched; `invalidateQueries`
    is always there."""
    carried = dict(metadata) if metadata is not None else {}
    carried.setdefault("invalidateQueries", list(invalidates))
    return {"counter": name, "value": value, "metadata": carried, "version": version}


def counters_updated(
    values: Mapping[str, int],
    version: int,
    invalidates: Sequence[str] = (),
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Several counters in one message (AshDispatch's `broadcast_counters`), read at one
    version; `invalidateQueries` holds the query keys of all of them."""
    carried = dict(metadata) if metadata is not None else {}
    carried.setdefault("invalidateQueries", list(dict.fromkeys(invalidates)))
    return {
        "counters": dict(values),
        "versions": dict.fromkeys(values, version),
        "metadata": carried,
    }


@dataclass(frozen=True, slots=True)
class CounterUpdate:
    counter: str
    value: int
    version: int


def read_counter_update(payload: Any) -> CounterUpdate | None:
    """A `counter_updated` payload, checked; None when it is malformed."""
    if not isinstance(payload, Mapping):
        return None
    name, value, version = payload.get("counter"), payload.get("value"), payload.get("version")
    if not isinstance(name, str) or isinstance(value, bool) or not isinstance(value, int):
        return None
    if isinstance(version, bool) or not isinstance(version, int):
        version = 0
    return CounterUpdate(name, value, version)


def read_counter_updates(event: str, payload: Any) -> list[CounterUpdate]:
    """The counter values a `counter_updated` or `counters_updated` payload carries (malformed
    entries left out); nothing for any other event."""
    if event == COUNTER_UPDATED:
        update = read_counter_update(payload)
        return [update] if update is not None else []
    if event != COUNTERS_UPDATED or not isinstance(payload, Mapping):
        return []
    values, versions = payload.get("counters"), payload.get("versions")
    if not isinstance(values, Mapping):
        return []
    if not isinstance(versions, Mapping):
        versions = {}
    found = []
    for name, value in values.items():
        update = read_counter_update({"counter": name, "value": value,
                                      "version": versions.get(name)})
        if update is not None:
            found.append(update)
    return found

_PLAIN_DECIMAL = re.compile(r"^-?\d+(\.\d+)?\Z")


def aggregate_wire_value(value: Decimal | None) -> str | None:
    """An aggregate's value on the wire: a plain decimal string, exact, or None."""
    if value is None:
        return None
    if not isinstance(value, Decimal) or not value.is_finite():
        raise TypeError(f"an aggregate's value is a finite Decimal or None, not {value!r}")
    return format(value, "f")


def aggregate_updated(
    name: str,
    value: Decimal | None,
    version: int,
    invalidates: Sequence[str] = (),
) -> dict[str, Any]:
    return {
        "aggregate": name,
        "value": aggregate_wire_value(value),
        "metadata": {"invalidateQueries": list(invalidates)},
        "version": version,
    }


@dataclass(frozen=True, slots=True)
class AggregateUpdate:
    aggregate: str
    value: Decimal | None
    version: int


def read_aggregate_update(payload: Any) -> AggregateUpdate | None:
    """An `aggregate_updated` payload, checked; None when it is malformed (a value that is no
    plain decimal string, a missing name or version)."""
    if not isinstance(payload, Mapping):
        return None
    name, raw, version = payload.get("aggregate"), payload.get("value"), payload.get("version")
    if not isinstance(name, str) or not name:
        return None
    if isinstance(version, bool) or not isinstance(version, int):
        return None
    if raw is None:
        return AggregateUpdate(name, None, version)
    if not isinstance(raw, str) or len(raw) > 64 or not _PLAIN_DECIMAL.match(raw):
        return None  # the SDK's isDecimalString accepts exactly the same strings
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return AggregateUpdate(name, value, version)


def aggregate_state(values: Mapping[str, AggregateValueLike]) -> dict[str, Any]:
    """`initial_state.aggregates`: name -> `{"value", "version"}`."""
    return {
        name: {"value": aggregate_wire_value(v.value), "version": v.version}
        for name, v in values.items()
    }


def notification_read(notification_id: str) -> dict[str, Any]:
    return {"id": notification_id}


def read_notification_id(payload: Any) -> str | None:
    """The id of a `notification_read` or `new_notification` payload."""
    if not isinstance(payload, Mapping):
        return None
    found = payload.get("id")
    return found if isinstance(found, str) and found else None


def all_notifications_read(
    marked_count: int, read_before: str | None, ids: Sequence[str] | None = None
) -> dict[str, Any]:
    """`ids`: exactly the notifications now read — also one whose `new_notification` is still on
    its way from another node. When there were too many to list (None), `read_before` stands
    for them: every notification inserted at or before it (ISO time)."""
    return {
        "markedCount": marked_count,
        "readBefore": read_before,
        "ids": list(ids) if ids is not None else None,
    }


def read_marked_ids(payload: Any) -> list[str] | None:
    """The `ids` of an `all_notifications_read` payload; None when it lists none (then its
    `readBefore` applies)."""
    if not isinstance(payload, Mapping):
        return None
    ids = payload.get("ids")
    if not isinstance(ids, list):
        return None
    return [i for i in ids if isinstance(i, str)]


def read_all_notifications_read(payload: Any) -> str | None:
    """The `readBefore` watermark of an `all_notifications_read` payload, if it has one."""
    if not isinstance(payload, Mapping):
        return None
    found = payload.get("readBefore")
    return found if isinstance(found, str) else None


def read_before_covers(read_before: str | None, notification: Any) -> bool:
    """Whether an `all_notifications_read` cut-off marks this serialized notification read
    (it was inserted at or before the cut-off). Unknown times cover nothing."""
    if read_before is None or not isinstance(notification, Mapping):
        return False
    inserted = inserted_at(notification)
    cutoff = _time(read_before)
    return inserted is not None and cutoff is not None and inserted <= cutoff


def notification_cursor(notification: Any) -> str | None:
    """Where the next page of notifications starts after this serialized one (`load_recent(...,
    before=cursor)`); None when the serializer sends no `insertedAt` and `id`."""
    if not isinstance(notification, Mapping):
        return None
    inserted, nid = notification.get("insertedAt"), notification.get("id")
    if not isinstance(inserted, str) or not isinstance(nid, str):
        return None
    return f"{inserted}|{nid}"


def inserted_at(notification: Any) -> datetime | None:
    """The `insertedAt` of a serialized notification, as an aware datetime (None: unknown)."""
    if not isinstance(notification, Mapping):
        return None
    return _time(notification.get("insertedAt"))


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def initial_state(
    counters: Mapping[str, CounterValueLike],
    notifications: list[Any],
    aggregates: Mapping[str, AggregateValueLike] | None = None,
) -> dict[str, Any]:
    """The `initial_state` payload; `aggregates` only when the app declares any."""
    state: dict[str, Any] = counter_state(counters)
    state["notifications"] = notifications
    if aggregates is not None:
        state["aggregates"] = aggregate_state(aggregates)
    return state


def counter_state(counters: Mapping[str, CounterValueLike]) -> dict[str, Any]:
    """`{"counters": {name: value}, "versions": {name: version}}`: `initial_state`'s counters
    and the `refresh_counters` reply."""
    return {
        "counters": {name: v.value for name, v in counters.items()},
        "versions": {name: v.version for name, v in counters.items()},
    }


# AshDispatch's field names ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RenamedField:
    """A field liveui sends under another name than AshDispatch does."""

    events: tuple[str, ...]
    path: str
    """Where it sits in the payload ("metadata." inside the metadata, "notifications[]." in
    each listed notification)."""
    ash: str
    liveui: str


RENAMED_FIELDS: tuple[RenamedField, ...] = (
    RenamedField((COUNTER_UPDATED, COUNTERS_UPDATED), "metadata.", "invalidate_queries",
                 "invalidateQueries"),
    RenamedField((NEW_NOTIFICATION,), "", "timestamp", "insertedAt"),
    RenamedField((INITIAL_STATE,), "notifications[].", "timestamp", "insertedAt"),
)
"""Every renamed field (docs/coming-from-phoenix.md shows this table); every other field of
AshDispatch's payloads has the same name in liveui's."""


def with_ash_field_names(event: str, payload: Any) -> Any:
    """`payload` with AshDispatch's names of `RENAMED_FIELDS` added next to liveui's (a copy;
    liveui's own readers keep reading theirs). Other events come back as they are."""
    if not isinstance(payload, Mapping):
        return payload
    if event in (COUNTER_UPDATED, COUNTERS_UPDATED):
        metadata = payload.get("metadata")
        if not isinstance(metadata, Mapping) or "invalidateQueries" not in metadata:
            return payload
        return {**payload, "metadata": {**metadata,
                                        "invalidate_queries": metadata["invalidateQueries"]}}
    if event == NEW_NOTIFICATION:
        return _ash_notification(payload)
    if event == INITIAL_STATE and isinstance(payload.get("notifications"), list):
        return {**payload, "notifications": [_ash_notification(n)
                                             for n in payload["notifications"]]}
    return payload


def _ash_notification(notification: Any) -> Any:
    if not isinstance(notification, Mapping) or "insertedAt" not in notification:
        return notification
    return {**notification, "timestamp": notification["insertedAt"]}


# the shapes, in one table ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Field:
    name: str
    ts_type: str
    """Its TypeScript type, as the generated SDK declares it."""
    doc: str = ""


PAYLOAD_SHAPES: dict[str, tuple[Field, ...]] = {
    COUNTER_UPDATED: (
        Field("counter", "CounterName"),
        Field("value", "number"),
        Field("metadata", "{ invalidateQueries: QueryKey[] }",
              "Query keys to refetch, and any metadata of a hand-made broadcast."),
        Field("version", "number", "Orders the reads behind values: keep the highest."),
    ),
    COUNTERS_UPDATED: (
        Field("counters", "CounterValues"),
        Field("versions", "CounterVersions", "One version for all of them: keep the highest."),
        Field("metadata", "{ invalidateQueries: QueryKey[] }",
              "The query keys of all of them, and any metadata given."),
    ),
    NOTIFICATION_READ: (Field("id", "string"),),
    NOTIFICATION_DELETED: (Field("id", "string"),),
    ALL_NOTIFICATIONS_READ: (
        Field("markedCount", "number"),
        Field("ids", "string[] | null",
              "The notifications now read; null when more than 1,000 (then `readBefore`)."),
        Field("readBefore", "string | null", "ISO time of the cut-off."),
    ),
    MARK_ALL_NOTIFICATIONS_READ: (Field("markedCount", "number"),),
    AGGREGATE_UPDATED: (
        Field("aggregate", "AggregateName"),
        Field("value", "DecimalString | null",
              "Exact decimal (\"1234.50\"); null: the average, minimum or maximum of nothing."),
        Field("metadata", "{ invalidateQueries: QueryKey[] }", "Query keys to refetch."),
        Field("version", "number", "Orders the reads behind values: keep the highest."),
    ),
}
"""Every object payload of `user:<id>` (events, and the `mark_all_notifications_read` reply),
field by field, camelCase on the wire; the TypeScript SDK's interfaces are generated from it."""


# the data behind the topic (what dispatch offers; live and channels need only this) --------
class CounterValueLike(Protocol):
    @property
    def value(self) -> int: ...
    @property
    def version(self) -> int: ...


class AggregateValueLike(Protocol):
    @property
    def value(self) -> Decimal | None: ...
    @property
    def version(self) -> int: ...


class AggregatesSource(Protocol):
    async def load_aggregate_values(self, user_id: Any) -> Mapping[str, AggregateValueLike]: ...


class CountersSource(Protocol):
    async def load_counter_values(self, user_id: Any) -> Mapping[str, CounterValueLike]: ...


class NotificationsSource(Protocol):
    @property
    def configured(self) -> bool:
        """False when the app keeps no notifications (no notification model)."""
        ...
    async def load_recent(
        self, user_id: Any, limit: int = ..., *, before: str | None = ...
    ) -> list[Any]: ...
    async def mark_as_read(self, id: Any, *, actor: Any) -> Any: ...
    async def mark_all_as_read(self, user_id: Any, *, actor: Any) -> Mapping[str, Any]: ...


class UserDataSource(Protocol):
    """What a `user:<id>` subscriber, a live page or a live collection may ask of the data
    (`Dispatch` is one): everything any consumer calls is declared here."""

    @property
    def counter_names(self) -> frozenset[str]:
        """Every declared counter (a tag naming another is a mistake to report)."""
        ...
    @property
    def aggregate_names(self) -> frozenset[str]:
        """Every declared aggregate."""
        ...
    @property
    def aggregates(self) -> AggregatesSource:
        """Where declared aggregates load their values."""
        ...
    @property
    def collections(self) -> CollectionsSource:
        """Where live collections load their rows."""
        ...

    @property
    def counters(self) -> CountersSource: ...
    @property
    def notifications(self) -> NotificationsSource: ...
    async def channel_state(self, user_id: Any, notification_limit: int = ...) -> dict[str, Any]:
        """The `initial_state` payload of `user_id`."""
        ...
