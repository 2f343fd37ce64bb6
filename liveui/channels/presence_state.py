"""The replicated presence table, without any I/O: what `Presence` merges and diffs.

Every node (a *replica*) owns the entries it tracked; the others keep a copy of them, fed by
numbered deltas. A replica's copy is only ever replaced by its owner's deltas or snapshots, so
merging is trivial (no conflicts): the table of a topic is the union of every replica's entries.
Deltas must arrive in order: a gap in the numbering asks the owner for a snapshot instead.

Entries are `topic -> key -> phx_ref -> meta` (each meta carries its own `phx_ref`). Every
change yields a `Diffs`: per topic, the `presence_diff` payload phoenix.js's `Presence` applies.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["Applied", "Diffs", "Entries", "Metas", "PresenceTable", "Replica", "Row", "State"]

Meta = dict[str, Any]
Metas = list[Meta]
State = dict[str, dict[str, Metas]]
"""`presence_state`: key -> {"metas": [meta, ...]}."""
Entries = dict[str, dict[str, dict[str, Meta]]]
"""topic -> key -> phx_ref -> meta."""
Row = tuple[str, str, Meta]
"""(topic, key, meta) — the replication form of one entry (the meta holds its `phx_ref`)."""


class Applied(enum.Enum):
    APPLIED = "applied"
    STALE = "stale"
    """Already applied (a duplicate, or older than a snapshot): ignored."""
    GAP = "gap"
    """A delta is missing before this one: not applied; ask the owner for a snapshot."""


class Diffs:
    """`presence_diff` payloads being built, per topic."""

    __slots__ = ("topics",)

    def __init__(self) -> None:
        self.topics: dict[str, dict[str, dict[str, dict[str, list[Meta]]]]] = {}

    def _side(self, topic: str, side: str, key: str) -> list[Meta]:
        diff = self.topics.get(topic)
        if diff is None:
            diff = self.topics[topic] = {"joins": {}, "leaves": {}}
        by_key = diff[side]
        entry = by_key.get(key)
        if entry is None:
            entry = by_key[key] = {"metas": []}
        return entry["metas"]

    def join(self, topic: str, key: str, meta: Meta) -> None:
        self._side(topic, "joins", key).append(meta)

    def leave(self, topic: str, key: str, meta: Meta) -> None:
        self._side(topic, "leaves", key).append(meta)

    def __bool__(self) -> bool:
        return bool(self.topics)

    def items(self) -> Iterator[tuple[str, dict[str, Any]]]:
        return iter(self.topics.items())


class Replica:
    """One node's entries as known here, with the number of the last delta applied."""

    __slots__ = ("entries", "id", "last_heard", "sync_asked_at", "version")

    def __init__(self, replica_id: str, now: float = 0.0) -> None:
        self.id = replica_id
        self.entries: Entries = {}
        self.version = 0
        self.last_heard = now
        self.sync_asked_at: float | None = None

    def add(self, topic: str, key: str, meta: Meta) -> None:
        self.entries.setdefault(topic, {}).setdefault(key, {})[meta["phx_ref"]] = meta

    def remove(self, topic: str, key: str, ref: str) -> Meta | None:
        keys = self.entries.get(topic)
        if keys is None:
            return None
        refs = keys.get(key)
        if refs is None:
            return None
        meta = refs.pop(ref, None)
        if not refs:
            del keys[key]
            if not keys:
                del self.entries[topic]
        return meta

    def rows(self) -> list[Row]:
        return [
            (topic, key, meta)
            for topic, keys in self.entries.items()
            for key, refs in keys.items()
            for meta in refs.values()
        ]

    def __len__(self) -> int:
        return sum(len(refs) for keys in self.entries.values() for refs in keys.values())


class PresenceTable:
    """This node's own replica plus its copies of the other nodes' replicas."""

    def __init__(self, replica_id: str) -> None:
        self.own = Replica(replica_id)
        self.remotes: dict[str, Replica] = {}

    # reading -----------------------------------------------------------------------------------
    def list(self, topic: str) -> State:
        """`presence_state` of `topic`: `{key: {"metas": [...]}}` over every live replica."""
        state: State = {}
        for replica in (self.own, *self.remotes.values()):
            for key, refs in replica.entries.get(topic, {}).items():
                entry = state.get(key)
                if entry is None:
                    entry = state[key] = {"metas": []}
                entry["metas"].extend(refs.values())
        return state

    def get_by_key(self, topic: str, key: str) -> Metas:
        return self.list(topic).get(key, {"metas": []})["metas"]

    # other replicas ------------------------------------------------------------------------------
    def apply_delta(
        self,
        replica_id: str,
        version: int,
        joins: Iterable[Row],
        leaves: Iterable[tuple[str, str, str]],
        now: float,
        diffs: Diffs,
    ) -> Applied:
        """Apply delta number `version` of `replica_id` (joins first, then leaves by ref)."""
        replica = self.heard(replica_id, now)
        if version <= replica.version:
            return Applied.STALE
        if version != replica.version + 1:
            return Applied.GAP
        replica.version = version
        for topic, key, meta in joins:
            replica.add(topic, key, meta)
            diffs.join(topic, key, meta)
        for topic, key, ref in leaves:
            left = replica.remove(topic, key, ref)
            if left is not None:
                diffs.leave(topic, key, left)
        return Applied.APPLIED

    def apply_snapshot(
        self, replica_id: str, version: int, rows: Iterable[Row], now: float, diffs: Diffs
    ) -> Applied:
        """Replace what is known of `replica_id` by its full state at `version`."""
        replica = self.heard(replica_id, now)
        if version < replica.version:
            return Applied.STALE
        fresh = Replica(replica_id, now)
        for topic, key, meta in rows:
            fresh.add(topic, key, meta)
        for topic, key, meta in replica.rows():
            if meta["phx_ref"] not in fresh.entries.get(topic, {}).get(key, {}):
                diffs.leave(topic, key, meta)
        for topic, key, meta in fresh.rows():
            if meta["phx_ref"] not in replica.entries.get(topic, {}).get(key, {}):
                diffs.join(topic, key, meta)
        replica.entries = fresh.entries
        replica.version = version
        replica.sync_asked_at = None
        return Applied.APPLIED

    def heard(self, replica_id: str, now: float) -> Replica:
        """The replica `replica_id`, created empty when new; it was heard from at `now`."""
        replica = self.remotes.get(replica_id)
        if replica is None:
            replica = self.remotes[replica_id] = Replica(replica_id, now)
        replica.last_heard = now
        return replica

    def drop(self, replica_id: str, diffs: Diffs) -> bool:
        """Forget a replica that left or went silent: every entry of it leaves."""
        replica = self.remotes.pop(replica_id, None)
        if replica is None:
            return False
        for topic, key, meta in replica.rows():
            diffs.leave(topic, key, meta)
        return True

    def silent_since(self, deadline: float) -> tuple[str, ...]:
        """Replicas not heard from since `deadline` (monotonic seconds)."""
        return tuple(r.id for r in self.remotes.values() if r.last_heard < deadline)
