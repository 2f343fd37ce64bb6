"""Renders react.ts: the hooks over the store (no per-app parts: it reads counters.ts)."""

from __future__ import annotations

from importlib.resources import files

from .schema import SdkSchema

__all__ = ["render_react"]


def render_react(schema: SdkSchema) -> str:
    return files(__package__).joinpath("templates", "react.ts").read_text("utf-8")
