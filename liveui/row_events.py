"""The `collection:<name>` topic: row changes of a declared collection, and the rows behind it.

Dispatch writes `rows_changed` after a commit, naming only the primary keys a transaction
touched; it never sends row contents (no row can reach anyone through pub/sub, whatever topic
they manage to subscribe to). Each node that shows the collection re-reads those keys once for
all its sessions, then hands the read to them locally as `rows_read`; every session decides for
its own user which rows it may show.

| event          | where                 | payload                                     |
|----------------|-----------------------|---------------------------------------------|
| `rows_changed` | pub/sub, every node   | `{"keys": [primary key, ...]}`              |
| `rows_read`    | this node only        | a `RowsRead` (never serialized)             |

Versions follow the rule of counters (see `user_events`): a read's version is taken before its
query, so a stale read never carries a newer version than a fresher one, and readers keep the
newest state of each row.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = [
    "ROWS_CHANGED",
    "ROWS_READ",
    "TOPIC_PREFIX",
    "CollectionInfo",
    "CollectionsSource",
    "Descending",
    "RowState",
    "RowsPage",
    "RowsRead",
    "Series",
    "collection_of",
    "collection_topic",
    "read_rows_changed",
    "rows_changed",
]

TOPIC_PREFIX = "collection:"
ROWS_CHANGED = "rows_changed"
ROWS_READ = "rows_read"
MAX_KEYS = 10_000
"""Keys one `rows_changed` may carry; a bigger payload is refused by its readers."""


def collection_topic(name: str) -> str:
    return f"{TOPIC_PREFIX}{name}"


def collection_of(topic: str) -> str | None:
    if not topic.startswith(TOPIC_PREFIX) or len(topic) == len(TOPIC_PREFIX):
        return None
    return topic[len(TOPIC_PREFIX):]


def rows_changed(keys: Sequence[Any]) -> dict[str, Any]:
    return {"keys": list(keys)}


def read_rows_changed(payload: Any) -> list[Any] | None:
    """The keys of a `rows_changed` payload (ints or strings), checked; None when malformed."""
    if not isinstance(payload, Mapping):
        return None
    keys = payload.get("keys")
    if not isinstance(keys, list) or len(keys) > MAX_KEYS:
        return None
    if not all(isinstance(k, (int, str)) and not isinstance(k, bool) for k in keys):
        return None
    return keys


@functools.total_ordering
class Descending:
    """Wraps a value so it sorts in reverse: sort keys of descending columns."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Descending) and self.value == other.value

    def __lt__(self, other: Descending) -> bool:
        result: bool = other.value < self.value
        return result

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return f"Descending({self.value!r})"


@dataclass(eq=False, slots=True)
class RowState:
    """One row as read from the database.

    `sort`: compares rows in the collection's order (descending columns wrapped); `cursor`: the
    raw order values and key, for "the rows after this one"; `values`: what the row template
    shows. `rendered` is the views' memo (the row's rendered fragments), so the sessions
    showing this state share one render.
    """

    key: Any
    owner: Any
    sort: tuple[Any, ...]
    cursor: tuple[Any, ...]
    values: dict[str, Any]
    rendered: dict[Any, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RowsRead:
    """The shared re-read of changed keys: `rows[key]` is the row, or None when it is gone or
    no longer matches the collection's filter. The same object reaches every session."""

    collection: str
    version: int
    rows: Mapping[Any, RowState | None]


@dataclass(frozen=True, slots=True)
class RowsPage:
    """The first rows (or the next rows after a cursor) of a collection as one user sees it."""

    version: int
    rows: list[RowState]
    has_more: bool


@dataclass(frozen=True, slots=True)
class Series:
    """Rows of a collection counted per time bucket: `counts[i]` rows whose time falls in
    `[start + i * step, start + (i + 1) * step)` seconds since the epoch."""

    version: int
    start: int
    step: int
    counts: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CollectionInfo:
    name: str
    audience: str
    owned: bool
    """Rows belong to one user each (`owner=`): a session only shows its own user's rows."""


class CollectionsSource(Protocol):
    """What a live collection may ask of the data (`Dispatch.collections` is one)."""

    def info(self, name: str) -> CollectionInfo:
        """The declaration; raises `ConfigurationError` for an unknown name."""
        ...

    async def can_view(self, name: str, user_id: Any) -> bool:
        """Whether `user_id` is in the collection's audience."""
        ...

    async def load_page(
        self, name: str, user_id: Any, *, limit: int, after: tuple[Any, ...] | None = None
    ) -> RowsPage:
        """The rows `user_id` may see, in order, after `after` (a row's `cursor`)."""
        ...

    async def load_keys(self, name: str, keys: Sequence[Any]) -> RowsRead:
        """These rows for everyone (owners included, for the sessions to filter)."""
        ...

    async def load_series(
        self, name: str, user_id: Any, *, time: str, start: int, step: int, buckets: int
    ) -> Series:
        """The rows `user_id` may see counted per `step` seconds of the column `time`, from
        `start` (seconds since the epoch, a multiple of `step`) for `buckets` buckets."""
        ...
