"""The `user:<id>` wire names in generated TypeScript come from `liveui.user_events`: templates
write `@COUNTER_UPDATED@` (a constant's name between @) where the event name goes."""

from __future__ import annotations

import re

from .. import user_events

__all__ = ["fill_wire_names"]

_NAMES = {
    name: value
    for name in user_events.__all__
    if name.isupper() and isinstance(value := getattr(user_events, name), str)
}
_PLACEHOLDER = re.compile(r"@([A-Z_]+)@")


def fill_wire_names(template: str) -> str:
    def name(match: re.Match[str]) -> str:
        found = _NAMES.get(match.group(1))
        if found is None:
            raise KeyError(f"no wire name {match.group(1)!r} in liveui.user_events")
        return found

    return _PLACEHOLDER.sub(name, template)
