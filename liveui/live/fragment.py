"""Fragments and patch operations: rendered HTML pieces matched by element id.

A `Fragment` is one element with an id. A patch is a list of operations serialized as htmx
out-of-band swaps, so the same text works for the SSE extension (swapped with `hx-swap="none"`,
only the OOB parts apply) and the WS extension (every top-level element is swapped OOB).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from markupsafe import escape

__all__ = ["Fragment", "Op", "render_ops"]

_FIRST_TAG = re.compile(r"^\s*<([a-zA-Z][\w-]*)")


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


def render_op(op: Op) -> str:
    fragment = op.fragment
    if op.kind == "replace":
        return _with_oob(fragment.html, "true")
    if op.kind == "delete":
        return f'<div id="{escape(fragment.id)}" hx-swap-oob="delete"></div>'
    # An insert wraps the element; htmx inserts the wrapper's children, not the wrapper.
    target = f"{fragment.position}:#{fragment.container}"
    return f'<div hx-swap-oob="{escape(target)}">{fragment.html}</div>'


def render_ops(ops: list[Op]) -> str:
    return "\n".join(render_op(op) for op in ops)
