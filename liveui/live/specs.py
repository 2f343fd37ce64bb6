"""The component specs a page sends when it connects: base64url JSON, bounded and validated.

Whatever a client sends, the outcome is a list of components or a `SpecError` (a 400): never
another exception (deep nesting, a constructor that chokes on a parameter's type).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ..errors import SpecError
from .component import LiveComponent, component_from_spec

__all__ = [
    "MAX_DEPTH",
    "MAX_SPEC_BYTES",
    "build_component",
    "decode_specs",
    "encode_specs",
    "parse_json",
]

MAX_SPEC_BYTES = 16 * 1024
MAX_DEPTH = 32
"""Nesting a spec may have; deeper JSON is refused before it is parsed."""


def _too_deep(text: str | bytes) -> bool:
    """Bracket depth beyond MAX_DEPTH (brackets inside strings count too: a bound, not a
    parser); checked before `json.loads`, whose recursion would otherwise fail."""
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogatepass")
    if text.count(b"[") + text.count(b"{") <= MAX_DEPTH:
        return False  # the usual spec: too few brackets to nest that deep (counted in C)
    depth = 0
    for byte in text:
        if byte in (91, 123):  # [ {
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif byte in (93, 125):  # ] }
            depth -= 1
    return False


def parse_json(text: str | bytes) -> Any:
    """`json.loads` for client text: ValueError for anything that is not bounded JSON."""
    if _too_deep(text):
        raise ValueError("nested too deeply")
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def build_component(spec: Any) -> tuple[LiveComponent, str | None]:
    """`component_from_spec` that turns whatever a constructor raises into SpecError."""
    try:
        return component_from_spec(spec)
    except SpecError as exc:
        raise SpecError(str(exc)[:200]) from None
    except Exception:
        raise SpecError("a component spec has bad params") from None


def encode_specs(specs: list[dict[str, object]]) -> str:
    raw = json.dumps(specs, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_specs(encoded: str | None, *, limit: int) -> list[tuple[LiveComponent, str | None]]:
    """Components (with the etag the page showed) from the `c` parameter; SpecError if bad."""
    if not encoded:
        return []
    if len(encoded) > MAX_SPEC_BYTES:
        raise SpecError("the component list is too long")
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        specs = parse_json(raw)
    except (binascii.Error, ValueError):
        raise SpecError("the component list is not base64url JSON") from None
    if not isinstance(specs, list):
        raise SpecError("the component list must be a JSON array")
    if len(specs) > limit:
        raise SpecError(f"a page may declare at most {limit} live components")
    seen: dict[str, tuple[LiveComponent, str | None]] = {}
    for spec in specs:
        component, etag = build_component(spec)
        seen.setdefault(component.id, (component, etag))
    return list(seen.values())
