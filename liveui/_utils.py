"""Small helpers shared across the package."""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["maybe_await"]


async def maybe_await(value: Any) -> Any:
    """Let users write hooks as plain functions or coroutines."""
    if inspect.isawaitable(value):
        return await value
    return value
