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

    def touch(self, name: str, owner: Any = None, *, is_global: bool = False) -> None:
        if is_global:
            self.globals.add(name)
        elif owner is not None:
            self.owners.setdefault(name, set()).add(owner)

    def merge(self, other: ChangeSet) -> None:
        for name, owners in other.owners.items():
            self.owners.setdefault(name, set()).update(owners)
        self.globals.update(other.globals)
        self.events.extend(other.events)

    def take_counters(self) -> ChangeSet:
        """Move the counter part out (events stay): what one coalesced recompute handles."""
        out = ChangeSet(self.owners, self.globals)
        self.owners, self.globals = {}, set()
        return out

    @property
    def has_counters(self) -> bool:
        return bool(self.owners or self.globals)

    def __bool__(self) -> bool:
        return bool(self.owners or self.globals or self.events)
