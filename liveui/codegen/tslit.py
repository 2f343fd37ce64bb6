"""TypeScript literal helpers: quoting and unions that are stable byte for byte."""

from __future__ import annotations

import json
from collections.abc import Iterable

__all__ = ["string", "string_array", "union"]


def string(value: str) -> str:
    """A double-quoted TypeScript string literal (JSON escapes are valid TypeScript)."""
    return json.dumps(value, ensure_ascii=True)


def union(values: Iterable[str]) -> str:
    """A union of string literals, or `never` when empty."""
    literals = [string(v) for v in values]
    return " | ".join(literals) if literals else "never"


def string_array(values: Iterable[str]) -> str:
    return "[" + ", ".join(string(v) for v in values) + "]"
