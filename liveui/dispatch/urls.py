"""`async_url`: turn a plain database URL into one naming an asyncio driver."""

from __future__ import annotations

from sqlalchemy.engine import make_url

__all__ = ["async_url"]

_ASYNC_DRIVERS = {
    "sqlite": "aiosqlite",
    "postgresql": "asyncpg",
    "postgres": "asyncpg",
    "mysql": "aiomysql",
    "mariadb": "aiomysql",
}


def async_url(url: str) -> str:
    """`sqlite:///x.db` -> `sqlite+aiosqlite:///x.db`, `postgresql://…` -> `postgresql+asyncpg://…`.

    A URL that already names a driver is returned unchanged, so configuration may give either.
    """
    parsed = make_url(url)
    if "+" in parsed.drivername:
        return url
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        raise ValueError(
            f"liveui: no known asyncio driver for database URL scheme {parsed.drivername!r}"
        )
    backend = "postgresql" if parsed.drivername == "postgres" else parsed.drivername
    return parsed.set(drivername=f"{backend}+{driver}").render_as_string(hide_password=False)
