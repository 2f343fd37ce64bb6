"""`Revocations`: log a login session out, or every session of a user, on every node.

    node = Node(pubsub_url=..., revocations=Revocations(SqlRevocationStore(engine)))
    claims = node.revocations.login(user.id)          # at login: keep it in the session cookie
    await node.revocations.revoke_session(claims)     # logout: this login only
    await node.revocations.revoke_user(user.id)       # "log out everywhere", password change, ban

Every token liveui signs carries `AuthClaims`; `verify` refuses a token whose login session was
revoked (`TokenRevoked`) or whose epoch is older than the user's. A revocation is stored first
(so it survives a restart and reaches nodes that start later), then broadcast over pub/sub;
every node applies it to its memory and tells its listeners (the live sessions and channel
connections of that login close within moments). After a pub/sub outage, when broadcasts may
have been lost, the state is reloaded from the store.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import tokens
from ..errors import TokenRevoked
from .claims import AuthClaims
from .store import MemoryRevocationStore, RevocationStore

if TYPE_CHECKING:
    from ..pubsub.broadcast import Broadcast
    from ..pubsub.hub import Hub

__all__ = ["TOPIC", "Revocation", "Revocations"]

log = logging.getLogger("liveui.auth")

TOPIC = "liveui.revocations"
"""The pub/sub topic revocations travel on between nodes."""
DEFAULT_RETAIN = 8 * 24 * 3600.0
"""Seconds a session revocation is kept: longer than the longest default token lifetime."""
PURGE_INTERVAL = 300.0
DEFAULT_MAX_SESSIONS_PER_USER = 100


@dataclass(frozen=True, slots=True)
class Revocation:
    """One revocation as listeners see it: a login session, or a user's epochs below `epoch`."""

    session: str | None = None
    user_key: str | None = None
    epoch: int = 0

    def covers(self, claims: AuthClaims) -> bool:
        if self.session is not None:
            return claims.session == self.session
        return claims.user_key == self.user_key and claims.epoch < self.epoch


RevocationListener = Callable[[Revocation], None]


class Revocations:
    """The revoked login sessions and the users' auth epochs, kept in step on every node.

    `retain`: seconds a session revocation is stored; it must be at least the lifetime of every
    token bound to a login (LiveUI checks its own `token_max_age` against it).

    `max_sessions_per_user`: session revocations of one user this node stores within `retain`
    (each is a row until it expires). Past it, a logout is compacted into `revoke_user`: one
    epoch instead of one more row, which also ends that user's other logins. A login/logout
    loop therefore adds at most this many rows per user per node process.
    """

    def __init__(
        self,
        store: RevocationStore | None = None,
        *,
        retain: float = DEFAULT_RETAIN,
        max_sessions_per_user: int = DEFAULT_MAX_SESSIONS_PER_USER,
    ) -> None:
        if max_sessions_per_user < 1:
            raise ValueError("liveui: max_sessions_per_user must be at least 1")
        self.store: RevocationStore = store if store is not None else MemoryRevocationStore()
        self.retain = retain
        self.max_sessions_per_user = max_sessions_per_user
        self._stored_by_user: dict[str, list[float]] = {}  # user -> expiries of its rows
        self._sessions: dict[str, float] = {}
        self._epochs: dict[str, int] = {}
        self._listeners: list[RevocationListener] = []
        self._hub: Hub | None = None
        self._next_purge = 0.0
        self._purging: asyncio.Task[None] | None = None
        self.loaded = False
        self.applied = 0
        """Revocations applied on this node (its own and other nodes'), for metrics."""

    # wiring (by the node) --------------------------------------------------------------------
    def bind(self, hub: Hub) -> None:
        self._hub = hub

    async def start(self) -> None:
        """Load what is in force, then follow the other nodes' revocations."""
        await self.reload()
        if self._hub is not None:
            self._hub.subscribe(TOPIC, self)
            self._hub.remove_resync(self.reload)
            self._hub.on_resync(self.reload)

    async def stop(self) -> None:
        if self._hub is not None:
            self._hub.unsubscribe(TOPIC, self)
            self._hub.remove_resync(self.reload)
        if self._purging is not None:
            self._purging.cancel()

    async def reload(self) -> None:
        """Take everything in force from the store (at start, and after a pub/sub outage)."""
        state = await self.store.load(time.time())
        for session, until in state.sessions.items():
            if session not in self._sessions:
                self._sessions[session] = until
                self._notify(Revocation(session=session))
        for user_key, epoch in state.epochs.items():
            if epoch > self._epochs.get(user_key, 0):
                self._epochs[user_key] = epoch
                self._notify(Revocation(user_key=user_key, epoch=epoch))
        self.loaded = True

    def on_revoke(self, listener: RevocationListener) -> None:
        """Call `listener(revocation)` on the event loop for every revocation this node learns
        of (its own and the other nodes'); it must not block."""
        if listener not in self._listeners:
            self._listeners.append(listener)

    def remove_listener(self, listener: RevocationListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # logins ----------------------------------------------------------------------------------
    def epoch(self, user_id: Any) -> int:
        return self._epochs.get(str(user_id), 0)

    def login(self, user_id: Any, session: str | None = None) -> AuthClaims:
        """Claims for a new login session of `user_id` (a fresh random id unless given)."""
        return AuthClaims(user_id, session or secrets.token_urlsafe(16), self.epoch(user_id))

    def is_revoked(self, claims: AuthClaims) -> bool:
        return claims.session in self._sessions or claims.epoch < self.epoch(claims.user_id)

    def check(self, claims: AuthClaims) -> AuthClaims:
        """Return `claims`, or raise TokenRevoked if that login was ended."""
        if self.is_revoked(claims):
            raise TokenRevoked("this login was ended")
        return claims

    # tokens ----------------------------------------------------------------------------------
    @staticmethod
    def sign(secret: str, claims: AuthClaims, *, salt: str, **extra: Any) -> str:
        """A signed token carrying `claims` (and `extra` JSON fields; one-letter keys are
        liveui's). Signing needs no state: `Revocations.sign(...)` works without a node."""
        return tokens.sign(secret, {**extra, **claims.to_json()}, salt=salt)

    def verify(self, secret: str, token: str | None, *, max_age: float, salt: str) -> AuthClaims:
        """The claims of a genuine, unexpired, unrevoked token; raises a TokenError otherwise."""
        data = tokens.verify(secret, token, max_age=max_age, salt=salt)
        return self.check(AuthClaims.from_json(data))

    # revoking --------------------------------------------------------------------------------
    async def revoke_session(self, session: str | AuthClaims) -> None:
        """End one login session on every node: its tokens are refused from now on and its live
        streams and sockets close."""
        session_id = session.session if isinstance(session, AuthClaims) else session
        if not session_id:
            raise ValueError("liveui: revoke_session needs a login session id")
        until = time.time() + self.retain
        if isinstance(session, AuthClaims) and not self.is_revoked(session):
            stored = self._stored_by_user.setdefault(session.user_key, [])
            if len(stored) >= self.max_sessions_per_user:
                await self.revoke_user(session.user_id)  # compacted: see the class docstring
                return
            stored.append(until)
        await self.store.add_session(session_id, until)
        self._apply(Revocation(session=session_id))
        self._broadcast({"s": session_id})

    async def revoke_user(self, user_id: Any) -> int:
        """End every login session of `user_id` on every node (tokens minted outside a browser
        included); returns the user's new epoch. Logins made afterwards work."""
        user_key = str(user_id)
        epoch = await self.store.bump_epoch(user_key)
        self._apply(Revocation(user_key=user_key, epoch=epoch))
        self._broadcast({"u": user_key, "e": epoch})
        log.info("liveui: every login of user %r revoked (epoch %d)", user_key, epoch,
                 extra={"liveui_user": user_key, "liveui_epoch": epoch})
        return epoch

    def _broadcast(self, payload: dict[str, Any]) -> None:
        if self._hub is not None:
            self._hub.broadcast(TOPIC, "revoked", payload, self)  # not back to this node

    def deliver(self, message: Broadcast) -> None:
        """Another node's revocation, from the hub."""
        payload = message.payload
        if message.event != "revoked" or not isinstance(payload, dict):
            return
        session, user_key, epoch = payload.get("s"), payload.get("u"), payload.get("e")
        if isinstance(session, str):
            self._apply(Revocation(session=session))
        elif isinstance(user_key, str) and type(epoch) is int:
            self._apply(Revocation(user_key=user_key, epoch=epoch))

    def _apply(self, revocation: Revocation) -> None:
        if revocation.session is not None:
            if revocation.session in self._sessions:
                return
            self._sessions[revocation.session] = time.time() + self.retain
        else:
            assert revocation.user_key is not None
            if revocation.epoch <= self._epochs.get(revocation.user_key, 0):
                return
            self._epochs[revocation.user_key] = revocation.epoch
        self.applied += 1
        self._notify(revocation)

    def _notify(self, revocation: Revocation) -> None:
        for listener in list(self._listeners):
            try:
                listener(revocation)
            except Exception:
                log.exception("liveui: a revocation listener failed")

    # expiry (on the node's shared ticker) ----------------------------------------------------
    def tick(self, now: float) -> None:
        if now < self._next_purge:
            return
        self._next_purge = now + PURGE_INTERVAL
        wall = time.time()
        for session in [s for s, until in self._sessions.items() if until < wall]:
            del self._sessions[session]
        for user_key, stored in list(self._stored_by_user.items()):
            stored[:] = [until for until in stored if until >= wall]
            if not stored:
                del self._stored_by_user[user_key]
        if self._purging is None or self._purging.done():
            self._purging = asyncio.get_running_loop().create_task(self._purge(wall))

    async def _purge(self, wall: float) -> None:
        try:
            await self.store.purge(wall)
        except Exception:
            log.warning("liveui: could not purge expired revocations", exc_info=True)
