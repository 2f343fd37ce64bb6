"""Choose a backend from a URL: `memory://`, `redis://…`, `postgresql://…`."""

from __future__ import annotations

from .base import Backend
from .memory import MemoryBackend

__all__ = ["backend_from_url"]


def backend_from_url(url: str | None) -> Backend:
    scheme = (url or "memory://").split(":", 1)[0].lower()
    if scheme == "memory":
        return MemoryBackend()
    if scheme in ("redis", "rediss"):
        from .redis import RedisBackend  # lazy: the driver is an optional extra

        return RedisBackend(url or "")
    if scheme in ("postgres", "postgresql") or scheme.startswith("postgresql+"):
        from .postgres import PostgresBackend

        return PostgresBackend(url or "")
    raise ValueError(
        f"liveui: unknown pub/sub URL scheme {scheme!r}; use memory://, redis:// or postgresql://"
    )
