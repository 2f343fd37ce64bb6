"""Fragments and patch operations: rendered HTML pieces matched by element id.

A `Fragment` is one element with an id. A patch is a list of operations serialized as htmx
out-of-band swaps; liveui.js hands every patch, SSE or WebSocket, to `htmx.swap` with
`swapStyle: "none"`, so only the OOB parts apply.

Every operation travels in its own `<template>`. htmx applies a patch's top-level OOB elements
first and those inside templates after, so a patch that mixed the two would not apply in the
order written: a row inserted and deleted within one write (both ops joined into one SSE event)
would be deleted before it was inserted, and stay. Inside templates they apply in document
order. A template also lets table parts (`<tr>`, `<td>`, `<tbody>`...) stand alone: parsed at
the top of a patch they would be dropped. An inserted row travels in a wrapper of the element
that may contain it (a `<tbody>` for a `<tr>`), whose children htmx inserts.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

from markupsafe import escape

__all__ = ["Fragment", "Op", "joined", "render_ops"]

_FIRST_TAG = re.compile(r"^\s*<([a-zA-Z][\w-]*)")
_TABLE_WRAPPERS = {
    "tr": "tbody", "td": "tr", "th": "tr", "tbody": "table", "thead": "table",
    "tfoot": "table", "caption": "table", "colgroup": "table", "col": "colgroup",
}
"""Elements that only parse inside a table context -> the element an insert wraps them in."""


@dataclass(frozen=True, slots=True)
class Fragment:
    """One patchable element: `html` must be a single element whose id is `id`.

    `container`: when the client does not have this element yet, insert it at `position` of the
    element with that id instead of replacing: into it (`afterbegin`, `beforeend`: a new
    notification at the top of a list) or after it (`afterend`: after its predecessor).
    """

    id: str
    html: str
    container: str | None = None
    position: Literal["afterbegin", "beforeend", "afterend"] = "afterbegin"


@dataclass(frozen=True, slots=True)
class Op:
    kind: Literal["replace", "insert", "delete"]
    fragment: Fragment


def _with_oob(html: str, value: str) -> str:
    match = _FIRST_TAG.match(html)
    if match is None:
        raise ValueError(f"liveui: a fragment must start with an element, got {html[:40]!r}")
    end = match.end()
    return f'{html[:end]} hx-swap-oob="{value}"{html[end:]}'


def _tag(html: str) -> str:
    match = _FIRST_TAG.match(html)
    return match.group(1).lower() if match else ""


@functools.lru_cache(maxsize=4096)
def _replacement(html: str) -> str:
    # Sessions showing the same value share one rendered string (the render cache), so the
    # swap wrapping it is the same too: made once, not once per session.
    return f'<template>{_with_oob(html, "true")}</template>'


@functools.lru_cache(maxsize=4096)
def render_op(op: Op) -> str:
    """One operation as an OOB swap. Memoized: the sessions that send the same operation (a
    new row to every tab showing it) share one string, in their outboxes too."""
    fragment = op.fragment
    if op.kind == "delete":
        return f'<template><div id="{escape(fragment.id)}" hx-swap-oob="delete"></div></template>'
    if op.kind == "replace":
        return _replacement(fragment.html)
    wrapper = _TABLE_WRAPPERS.get(_tag(fragment.html))
    # An insert wraps the element; htmx inserts the wrapper's children, not the wrapper.
    target = escape(f"{fragment.position}:#{fragment.container}")
    if wrapper:
        return f'<template><{wrapper} hx-swap-oob="{target}">{fragment.html}</{wrapper}></template>'
    return f'<template><div hx-swap-oob="{target}">{fragment.html}</div></template>'


def render_ops(ops: list[Op]) -> str:
    if len(ops) == 1:
        return render_op(ops[0])
    return joined(tuple(render_op(op) for op in ops))


@functools.lru_cache(maxsize=1024)
def joined(parts: tuple[str, ...]) -> str:
    """Patches written as one. Memoized like `render_op`: tabs that get the same patches (one
    user's tabs, a table everyone sees) share the joined string."""
    return "\n".join(parts)
