"""View params: what a person may change of a component's view, declared, checked, in the URL.

    class MyOrders(LiveCollection):
        view_params = (
            choice("status", "all", "pending", "completed", "cancelled", filter="status"),
            search("q"),
            sort("sort", "amount", "inserted", default="-inserted"),
        )

A component's view is a mapping of these names to strings. It travels in the component's
params (`{"view": {...}}`, only the values that differ from their defaults), so the page's spec
carries it: a reconnect, or a session rebuilt on another node, shows the same view. The same
names are the page's URL query (`?status=pending&q=desk&sort=-amount`), which the page handler
passes to the component on first paint (`MyOrders(view=request.query_params)`).

Cleaning never fails: a value a param does not allow (unknown choice, too long, not a string)
is replaced by its default, and names that are not declared are ignored — a typed-in or shared
URL always renders a view, the declared one closest to what it asked for. What the declaration
allows is all a view can do: it narrows the rows the component may show, never widens them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ..row_events import View

__all__ = [
    "ViewParam",
    "choice",
    "clean_view",
    "full_view",
    "pages",
    "range_choice",
    "search",
    "sort",
    "view_of",
    "view_query",
]


@dataclass(frozen=True, slots=True)
class ViewParam:
    """One changeable part of a view: its URL `name`, the `default`, the values it allows
    (`choices`, None: any text up to `max_length`) and what it does to a collection's rows
    (`role`: "filter" on the declared filter `target`, "search", "sort", "pages" for the pages
    shown, or "" for a param the component reads itself, such as a chart's range)."""

    name: str
    default: str = ""
    choices: tuple[str, ...] | None = None
    max_length: int = 100
    role: str = ""
    target: str = ""
    everything: str | None = None
    """For a filter: the choice that means "no filter" (e.g. "all")."""

    def clean(self, raw: Any) -> str:
        """`raw` if this param allows it, else the default."""
        if isinstance(raw, (list, tuple)):
            raw = raw[0] if raw else None
        if not isinstance(raw, str):
            return self.default
        value = raw.strip()
        if len(value) > self.max_length or "\x00" in value:
            return self.default
        if self.choices is not None and value not in self.choices:
            return self.default
        return value


def choice(name: str, *values: str, default: str | None = None, filter: str | None = None,
           everything: str | None = None) -> ViewParam:
    """One of `values` (default: the first). With `filter`, it filters a collection's rows on
    the declared filter of that name, except for `everything` (default: the first value)."""
    if not values:
        raise ValueError(f"view param {name!r}: choice() needs at least one value")
    chosen = values[0] if default is None else default
    if chosen not in values:
        raise ValueError(f"view param {name!r}: the default {chosen!r} is not a choice")
    if filter is None:
        return ViewParam(name, chosen, tuple(values))
    return ViewParam(name, chosen, tuple(values), role="filter", target=filter,
                     everything=values[0] if everything is None else everything)


def search(name: str = "q", *, max_length: int = 100) -> ViewParam:
    """A search text: rows whose declared search columns contain it (case-insensitive)."""
    return ViewParam(name, "", None, max_length, role="search")


def sort(name: str, *columns: str, default: str | None = None) -> ViewParam:
    """A sort: one of the collection's declared sort names, ascending, or descending with a
    leading `-` (`sort=-amount`)."""
    if not columns:
        raise ValueError(f"view param {name!r}: sort() needs at least one column")
    allowed = tuple(v for c in columns for v in (c, f"-{c}"))
    chosen = columns[0] if default is None else default
    if chosen not in allowed:
        raise ValueError(f"view param {name!r}: the default {chosen!r} is not a sort")
    return ViewParam(name, chosen, allowed, role="sort")


def pages(name: str = "pages", *, most: int = 20) -> ViewParam:
    """How many pages of rows a collection shows ("load more" as a link: `?pages=2`), from 1
    to `most`; a new filter, search or sort starts again at 1."""
    return ViewParam(name, "1", tuple(str(n) for n in range(1, most + 1)), role="pages")


def range_choice(name: str, ranges: Mapping[str, Any], default: str | None = None) -> ViewParam:
    """A time range a chart shows (`30m`, `24h`, ...): one of the keys of `ranges`."""
    return choice(name, *ranges, default=default)


def clean_view(params: Iterable[ViewParam], raw: Mapping[str, Any] | None) -> dict[str, str]:
    """The view `raw` asks for, cleaned: only declared names, only allowed values, and only
    those that differ from their defaults (so equal views have equal params)."""
    out: dict[str, str] = {}
    if not raw:
        return out
    getlist = getattr(raw, "getlist", None)
    for param in params:
        if param.name not in raw:
            continue
        value = param.clean(getlist(param.name) if getlist is not None else raw[param.name])
        if value != param.default:
            out[param.name] = value
    return out


def full_view(params: Iterable[ViewParam], view: Mapping[str, str]) -> dict[str, str]:
    """Every declared name with its value (the default where `view` has none)."""
    return {p.name: view.get(p.name, p.default) for p in params}


def view_of(params: Iterable[ViewParam], view: Mapping[str, str]) -> View:
    """The collection `View` a cleaned view asks for."""
    filters: list[tuple[str, str]] = []
    text = ""
    order = ""
    for param in params:
        value = view.get(param.name, param.default)
        if param.role == "filter" and value != param.everything:
            filters.append((param.target, value))
        elif param.role == "search":
            text = value
        elif param.role == "sort":
            order = value
    return View(tuple(filters), text, order)


def view_query(params: Iterable[ViewParam], view: Mapping[str, str]) -> str:
    """The URL query of a cleaned view, in declaration order (defaults left out)."""
    return urlencode([(p.name, view[p.name]) for p in params if p.name in view])
