"""Where revocations are kept so they survive a restart: `RevocationStore`, the small interface,
and two stores — `MemoryRevocationStore` (one process, forgotten on restart; the default) and
`SqlRevocationStore` (two small tables in any SQLAlchemy database, e.g. the application's own).

A revoked login session is kept until every token bound to it has expired (`expires_at`, wall
clock seconds); a user's auth epoch is one integer per user that was ever revoked as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, delete, select, update
from sqlalchemy.exc import IntegrityError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["MemoryRevocationStore", "RevocationState", "RevocationStore", "SqlRevocationStore"]


@dataclass(slots=True)
class RevocationState:
    sessions: dict[str, float] = field(default_factory=dict)
    """Revoked login session -> when its last token expires (Unix time)."""
    epochs: dict[str, int] = field(default_factory=dict)
    """`str(user_id)` -> the user's auth epoch (users never revoked as a whole are absent: 0)."""


class RevocationStore(Protocol):
    async def load(self, now: float) -> RevocationState:
        """Everything still in force at `now` (creating the storage on first use)."""

    async def add_session(self, session: str, expires_at: float) -> None:
        """Remember a revoked login session until `expires_at`."""

    async def bump_epoch(self, user_key: str) -> int:
        """Move the user's auth epoch on by one, atomically; return the new epoch."""

    async def purge(self, now: float) -> None:
        """Forget session revocations that expired before `now`."""


class MemoryRevocationStore:
    """Per process and forgotten on restart: right for tests and a single development server."""

    def __init__(self) -> None:
        self._state = RevocationState()

    async def load(self, now: float) -> RevocationState:
        await self.purge(now)
        return RevocationState(dict(self._state.sessions), dict(self._state.epochs))

    async def add_session(self, session: str, expires_at: float) -> None:
        sessions = self._state.sessions
        sessions[session] = max(expires_at, sessions.get(session, 0.0))

    async def bump_epoch(self, user_key: str) -> int:
        epoch = self._state.epochs[user_key] = self._state.epochs.get(user_key, 0) + 1
        return epoch

    async def purge(self, now: float) -> None:
        sessions = self._state.sessions
        for session in [s for s, until in sessions.items() if until < now]:
            del sessions[session]


class SqlRevocationStore:
    """Two tables (`<prefix>revoked_sessions`, `<prefix>auth_epochs`), created if missing, in
    the database of `engine` (an `AsyncEngine`). Every node of a deployment uses the same one."""

    def __init__(self, engine: AsyncEngine, *, table_prefix: str = "liveui_") -> None:
        self.engine = engine
        self.metadata = MetaData()
        self.sessions = Table(
            f"{table_prefix}revoked_sessions",
            self.metadata,
            Column("session", String(128), primary_key=True),
            Column("expires_at", Float, nullable=False, index=True),
        )
        self.epochs = Table(
            f"{table_prefix}auth_epochs",
            self.metadata,
            Column("user_id", String(255), primary_key=True),
            Column("epoch", Integer, nullable=False),
        )
        self._created = False

    async def _create(self) -> None:
        if not self._created:
            async with self.engine.begin() as conn:
                await conn.run_sync(self.metadata.create_all)
            self._created = True

    async def load(self, now: float) -> RevocationState:
        await self._create()
        async with self.engine.connect() as conn:
            sessions = await conn.execute(
                select(self.sessions.c.session, self.sessions.c.expires_at).where(
                    self.sessions.c.expires_at >= now
                )
            )
            epochs = await conn.execute(select(self.epochs.c.user_id, self.epochs.c.epoch))
            return RevocationState(
                {str(s): float(until) for s, until in sessions},
                {str(u): int(e) for u, e in epochs},
            )

    async def add_session(self, session: str, expires_at: float) -> None:
        await self._create()
        table = self.sessions
        for _ in range(3):  # an insert racing another node's insert of the same session
            async with self.engine.begin() as conn:
                moved = await conn.execute(
                    update(table)
                    .where(table.c.session == session, table.c.expires_at < expires_at)
                    .values(expires_at=expires_at)
                )
                if moved.rowcount:
                    return
                if await conn.scalar(select(table.c.session).where(table.c.session == session)):
                    return  # already kept at least as long
                try:
                    await conn.execute(
                        table.insert().values(session=session, expires_at=expires_at)
                    )
                    return
                except IntegrityError:
                    await conn.rollback()
        raise RuntimeError("liveui: could not store a session revocation")

    async def bump_epoch(self, user_key: str) -> int:
        await self._create()
        table = self.epochs
        for _ in range(3):
            async with self.engine.begin() as conn:
                moved = await conn.execute(
                    update(table).where(table.c.user_id == user_key).values(epoch=table.c.epoch + 1)
                )
                if not moved.rowcount:
                    try:
                        await conn.execute(table.insert().values(user_id=user_key, epoch=1))
                    except IntegrityError:
                        await conn.rollback()
                        continue
                epoch = await conn.scalar(select(table.c.epoch).where(table.c.user_id == user_key))
                return int(epoch or 0)
        raise RuntimeError("liveui: could not store a user revocation")

    async def purge(self, now: float) -> None:
        await self._create()
        async with self.engine.begin() as conn:
            await conn.execute(delete(self.sessions).where(self.sessions.c.expires_at < now))
