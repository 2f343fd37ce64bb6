"""Choose a backend from a URL: `memory://`, `redis://…`, `postgresql://…`.

`backend_from_url(None)` reads `LIVEUI_PUBSUB_URL` and falls back to `memory://`, so a
deployment switches backend with one environment variable and no code.
"""

from __future__ import annotations

import os
from typing import Any

from .base import Backend
from .memory import MemoryBackend

__all__ = ["PUBSUB_URL_ENV", "backend_from_url"]

PUBSUB_URL_ENV = "LIVEUI_PUBSUB_URL"


def backend_from_url(url: str | None = None, **options: Any) -> Backend:
    """The backend for `url` (or `$LIVEUI_PUBSUB_URL`); `options` go to its constructor."""
    url = url or os.environ.get(PUBSUB_URL_ENV) or "memory://"
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "memory":
        return MemoryBackend(**options)
    if scheme in ("redis", "rediss", "unix"):
        from .redis import RedisBackend  # lazy: the driver is an optional extra

        return RedisBackend(url, **options)
    if scheme in ("postgres", "postgresql") or scheme.startswith("postgresql+"):
        from .postgres import PostgresBackend

        return PostgresBackend(url, **options)
    raise ValueError(
        f"liveui: unknown pub/sub URL {url!r}; use memory://, redis://host:6379/0 or "
        "postgresql://user@host/db"
    )
