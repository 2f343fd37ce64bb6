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
    "DEFAULT_VIEW",
    "ROWS_CHANGED",
    "ROWS_READ",
    "ROWS_UNREAD",
    "TOPIC_PREFIX",
    "CollectionInfo",
    "CollectionsSource",
    "Descending",
    "RowState",
    "RowsPage",
    "RowsRead",
    "Series",
    "View",
    "collection_of",
    "collection_topic",
    "read_rows_changed",
    "rows_changed",
]

TOPIC_PREFIX = "collection:"
ROWS_CHANGED = "rows_changed"
ROWS_READ = "rows_read"
ROWS_UNREAD = "rows_unread"
"""Node-local, from the feed: the read a `rows_changed` announced failed (the sessions keep what
they show; anti-entropy repairs them): tabs waiting for it write what they have."""
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


@dataclass(frozen=True, slots=True)
class View:
    """What a person chose to see of a collection: equality `filters` on declared columns, a
    `search` text (case-insensitive substring of the declared search columns) and a `sort`
    (a declared sort name, `-name` descending; "" the collection's own order). Hashable: the
    key under which every session showing the same view shares one read."""

    filters: tuple[tuple[str, str], ...] = ()
    search: str = ""
    sort: str = ""


DEFAULT_VIEW = View()


@dataclass(eq=False, slots=True, weakref_slot=True)
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
    version: int = 0
    """The version of the read that saw the row so (a page's rows may be older than the page:
    rows equal to ones already read are shared, see `CollectionLoader.load_page`)."""
    rendered: dict[Any, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RowsRead:
    """The shared re-read of changed keys: `rows[key]` is the row, or None when it is gone or
    no longer matches the collection's filter. The same object reaches every session."""

    collection: str
    version: int
    rows: Mapping[Any, RowState | None]
    view: View = DEFAULT_VIEW
    """The view this read was made for: its rows match the view's filters (None: they do not)
    and carry its sort keys."""
    covers: int = 0
    """Set by the node's feed: the `rows_changed` announcements of the collection, numbered in
    arrival, up to which this read includes the keys (`CollectionFeed.number`)."""
    _by_owner: dict[str, list[Any]] | None = field(
        default=None, init=False, compare=False, repr=False)

    def owned_by(self, owner: str) -> list[Any]:
        """The keys of the rows read that belong to `owner` (compared as text). Indexed on the
        first call: the thousand sessions a read reaches look up their user's rows instead of
        each going through every row of every user."""
        index = self._by_owner
        if index is None:
            index = {}
            for key, row in self.rows.items():
                if row is not None:
                    index.setdefault(str(row.owner), []).append(key)
            object.__setattr__(self, "_by_owner", index)  # a cache: the read itself is unchanged
        return index.get(owner, [])


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
    groups: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    """With a `group_by` column: the counts of each of its values (`counts` is their sum)."""


@dataclass(frozen=True, slots=True)
class CollectionInfo:
    name: str
    audience: str
    owned: bool
    """Rows belong to one user each (`owner=`): a session only shows its own user's rows."""
    filters: tuple[str, ...] = ()
    """The names a `View` may filter on."""
    sorts: tuple[str, ...] = ()
    """The names a `View` may sort by."""
    searchable: bool = False
    """Whether a `View` may carry a search text."""


class CollectionsSource(Protocol):
    """What a live collection may ask of the data (`Dispatch.collections` is one)."""

    def info(self, name: str) -> CollectionInfo:
        """The declaration; raises `ConfigurationError` for an unknown name."""
        ...

    async def can_view(self, name: str, user_id: Any) -> bool:
        """Whether `user_id` is in the collection's audience."""
        ...

    async def load_page(
        self, name: str, user_id: Any, *, limit: int, after: tuple[Any, ...] | None = None,
        view: View = DEFAULT_VIEW,
    ) -> RowsPage:
        """The rows `user_id` may see in `view`, in its order, after `after` (a row's
        `cursor`)."""
        ...

    async def load_keys(
        self, name: str, keys: Sequence[Any], view: View = DEFAULT_VIEW
    ) -> RowsRead:
        """These rows for everyone (owners included, for the sessions to filter), as `view`
        shows them (None for those it filters out)."""
        ...

    async def load_series(
        self, name: str, user_id: Any, *, time: str, start: int, step: int, buckets: int,
        view: View = DEFAULT_VIEW, group_by: str | None = None, sum_of: str | None = None,
    ) -> Series:
        """The rows `user_id` may see in `view` counted per `step` seconds of the column
        `time`, from `start` (seconds since the epoch, a multiple of `step`) for `buckets`
        buckets; with `group_by`, counted per value of that column too; with `sum_of` (an
        integer column), that column summed instead of the rows counted."""
        ...
