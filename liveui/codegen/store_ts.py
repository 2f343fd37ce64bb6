"""Renders store.ts: the framework-free store (no per-app parts: it reads counters.ts); its
event and request names come from the wire contract."""

from __future__ import annotations

from importlib.resources import files

from .schema import SdkSchema
from .wire_names import fill_wire_names

__all__ = ["render_store"]


def render_store(schema: SdkSchema) -> str:
    template = files(__package__).joinpath("templates", "store.ts").read_text("utf-8")
    return fill_wire_names(template)
