"""`ChangeSet`: what a transaction touched, recorded during flush and used after commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ChangeSet"]


@dataclass(slots=True)
class ChangeSet:
    owners: dict[str, set[Any]] = field(default_factory=dict)
    """Owner counters -> the owners whose value may have moved."""
    globals: set[str] = field(default_factory=set)
    """Global (audience) counters that may have moved."""
    events: list[tuple[str, str, Any]] = field(default_factory=list)
    """Broadcasts due once the data is committed: (topic, event, payload)."""
    rows: dict[str, set[Any]] = field(default_factory=dict)
    """Collections -> the primary keys of their model's rows the transaction touched."""

    def touch(self, name: str, owner: Any = None, *, is_global: bool = False) -> None:
        if is_global:
            self.globals.add(name)
        elif owner is not None:
            self.owners.setdefault(name, set()).add(owner)

    def touch_row(self, collection: str, key: Any) -> None:
        if key is not None:
            self.rows.setdefault(collection, set()).add(key)

    def merge(self, other: ChangeSet) -> None:
        for name, owners in other.owners.items():
            self.owners.setdefault(name, set()).update(owners)
        self.globals.update(other.globals)
        self.events.extend(other.events)
        for name, keys in other.rows.items():
            self.rows.setdefault(name, set()).update(keys)

    def take(self) -> ChangeSet:
        """Move everything out: what one coalesced recompute handles and then broadcasts."""
        out = ChangeSet(self.owners, self.globals, self.events, self.rows)
        self.owners, self.globals, self.events, self.rows = {}, set(), [], {}
        return out

    @property
    def has_counters(self) -> bool:
        return bool(self.owners or self.globals)

    def __bool__(self) -> bool:
        return bool(self.owners or self.globals or self.events or self.rows)
