"""The component specs a page sends when it connects: base64url JSON, bounded and validated."""

from __future__ import annotations

import base64
import binascii
import json

from ..errors import SpecError
from .component import LiveComponent, component_from_spec

__all__ = ["decode_specs", "encode_specs"]

MAX_SPEC_BYTES = 16 * 1024


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
        specs = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise SpecError(f"the component list is not base64url JSON ({exc})") from None
    if not isinstance(specs, list):
        raise SpecError("the component list must be a JSON array")
    if len(specs) > limit:
        raise SpecError(f"a page may declare at most {limit} live components")
    seen: dict[str, tuple[LiveComponent, str | None]] = {}
    for spec in specs:
        component, etag = component_from_spec(spec)
        seen.setdefault(component.id, (component, etag))
    return list(seen.values())
