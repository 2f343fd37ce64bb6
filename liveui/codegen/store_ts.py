"""Renders store.ts: the framework-free store (no per-app parts: it reads counters.ts)."""

from __future__ import annotations

from importlib.resources import files

from .schema import SdkSchema

__all__ = ["render_store"]


def render_store(schema: SdkSchema) -> str:
    return files(__package__).joinpath("templates", "store.ts").read_text("utf-8")
