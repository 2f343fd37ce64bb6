"""`Dispatch`: the facade tying counters, notifications and session hooks to one app.

    dispatch = Dispatch(settings, engine=engine, endpoint=endpoint)
    dispatch.install(SessionLocal)            # sessionmaker / async_sessionmaker
    ...
    await dispatch.notify(session, user.id, title="Order shipped", type="success")
    await session.commit()                    # -> new_notification + counter_updated

Flow after a commit: the session hooks hand a `ChangeSet` to `_committed` (from whatever thread
committed); its events go out at once, its counters wait in the `Coalescer` for the window, then
`CounterLoader.recompute` recounts them with one grouped query each and broadcasts what moved.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from .broadcaster import NEW_NOTIFICATION, Broadcaster, user_topic
from .changes import ChangeSet
from .channel_state import ChannelState
from .coalescer import Coalescer
from .counters import CounterLoader
from .database import Database
from .notification import NotificationSerializer
from .notifications import NotificationLoader
from .registry import UNREAD_NOTIFICATIONS, CounterRegistry
from .session_hooks import SessionHooks
from .settings import BroadcastFn, DispatchSettings
from .values import CounterValues

if TYPE_CHECKING:
    from ..channels.endpoint import Endpoint

__all__ = ["Dispatch"]

log = logging.getLogger("liveui.dispatch")

_by_endpoint: weakref.WeakKeyDictionary[Any, Dispatch] = weakref.WeakKeyDictionary()
_latest: weakref.ReferenceType[Dispatch] | None = None


class Dispatch:
    def __init__(
        self,
        settings: DispatchSettings | None = None,
        *,
        engine: Engine | AsyncEngine | None = None,
        endpoint: Endpoint | None = None,
        broadcast: BroadcastFn | str | None = None,
    ) -> None:
        self.settings = settings or DispatchSettings()
        self.engine = engine
        self.endpoint = endpoint
        self.registry = CounterRegistry(self.settings)
        self.database = Database(engine)
        self.broadcaster = Broadcaster(broadcast or self.settings.counter_broadcast_fn, endpoint)
        self.values = CounterValues(self.settings.value_cache_size)
        self.counters = CounterLoader(self.registry, self.database, self.values, self.broadcaster)
        user_id_attr = "id"
        if self.settings.user_id_column is not None:
            user_id_attr = getattr(self.settings.user_id_column, "key", "id")
        self.notifications = NotificationLoader(
            self.settings.notification_model,
            self.database,
            self._committed,
            self.settings.notification_serializer,
            user_id_attr,
        )
        self.state = ChannelState(self.counters, self.notifications)
        self.hooks = SessionHooks(self.registry, self._committed)
        self.coalescer = Coalescer(self.settings.coalesce_window, self.counters.recompute)
        self._loop: asyncio.AbstractEventLoop | None = None
        global _latest
        if endpoint is not None:
            _by_endpoint[endpoint] = self
        _latest = weakref.ref(self)

    # finding the instance (UserChannel) --------------------------------------------------------
    @staticmethod
    def for_endpoint(endpoint: Any) -> Dispatch | None:
        """The Dispatch bound to `endpoint`; else the most recently created one (an app has
        one; set `UserChannel.dispatch` explicitly when it has several)."""
        found = _by_endpoint.get(endpoint) if endpoint is not None else None
        if found is None and _latest is not None:
            found = _latest()
        return found

    # set-up ------------------------------------------------------------------------------------
    def install(self, target: Any) -> None:
        """Hook session events of a sessionmaker, async_sessionmaker, Session class or session.

        Counter declarations are resolved now, so a mistake in one fails at start-up with the
        counter's name rather than later inside a commit.
        """
        self.registry.counters  # noqa: B018 (resolve and validate now)
        self.hooks.install(target)
        self._capture_loop()

    async def start(self) -> None:
        self._capture_loop()
        self.registry.counters  # noqa: B018

    async def stop(self, timeout: float = 5.0) -> None:
        """Finish the recomputes already due (their updates are not lost), then stop."""
        try:
            await self.wait_idle(timeout)
        except (TimeoutError, RuntimeError):
            log.warning("liveui.dispatch: stopped with counter recomputes still pending")
        await self.coalescer.close()

    def _capture_loop(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._loop = asyncio.get_running_loop()

    # notifications -----------------------------------------------------------------------------
    async def notify(
        self,
        session_or_engine: Session | AsyncSession | Engine | AsyncEngine | None,
        user_id: Any,
        *,
        title: str,
        message: str = "",
        type: str = "info",
        metadata: Mapping[str, Any] | None = None,
        action_label: str | None = None,
        action_url: str | None = None,
    ) -> Any:
        """Store a notification; `new_notification` and the unread counter follow the commit.

        With a session, it joins the caller's transaction (nothing is sent if it rolls back);
        with an engine (or None: the dispatch's engine) it commits on its own.
        """
        notification = self.notifications.build(
            user_id, title=title, message=message, type=type, metadata=metadata,
            action_label=action_label, action_url=action_url,
        )
        changes = ChangeSet()
        changes.events.append(
            (user_topic(notification.user_id), NEW_NOTIFICATION,
             self.notifications.serializer(notification))
        )
        changes.touch(UNREAD_NOTIFICATIONS, notification.user_id)
        target = session_or_engine
        if isinstance(target, (Session, AsyncSession)):
            sync = target.sync_session if isinstance(target, AsyncSession) else target
            self.hooks.hook_session(sync)
            target.add(notification)
            self.hooks.pending(sync).merge(changes)
            return notification
        database = self.database if target is None else Database(target)

        def store(conn: Any) -> None:
            with Session(bind=conn, expire_on_commit=False) as session:
                session.add(notification)
                session.commit()
                session.expunge(notification)

        await database.run(store)
        self._committed(changes)
        return notification

    # counters ----------------------------------------------------------------------------------
    def action(self, session: Session | AsyncSession, name: str, instance: Any) -> None:
        """Signal a named application action on `instance` ("complete", "cancel"...): counters
        declared with `on=[name]` recompute after the session commits."""
        sync = session.sync_session if isinstance(session, AsyncSession) else session
        self.hooks.hook_session(sync)
        changes = self.hooks.pending(sync)
        for c in self.registry.for_class(type(instance)):
            if name not in c.on:
                continue
            if c.owner_key is None:
                changes.touch(c.name, is_global=True)
            else:
                changes.touch(c.name, getattr(instance, c.owner_key))

    def touch(
        self,
        name: str,
        owners: Iterable[Any] = (),
        *,
        session: Session | AsyncSession | None = None,
    ) -> None:
        """Recompute a counter for these owners (all of its audience if global): after the
        session commits, or now without a session. For bulk UPDATE/DELETE statements, which
        bypass the flush the hooks watch."""
        c = self.registry.get(name)
        changes = ChangeSet()
        if c.is_global:
            changes.touch(name, is_global=True)
        for owner in owners:
            changes.touch(name, owner)
        if session is None:
            self._committed(changes)
            return
        sync = session.sync_session if isinstance(session, AsyncSession) else session
        self.hooks.hook_session(sync)
        self.hooks.pending(sync).merge(changes)

    async def channel_state(
        self,
        user_id: Any,
        notification_limit: int = 50,
        notification_serializer: NotificationSerializer | None = None,
        counter_models: Iterable[type[Any]] | None = None,
        parallel: bool = True,
    ) -> dict[str, Any]:
        return await self.state.build(
            user_id, notification_limit, notification_serializer, counter_models, parallel
        )

    async def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait until every committed change has been recomputed and broadcast (for tests,
        scripts and graceful shutdown)."""
        loop = self._loop
        if loop is not None and loop is not asyncio.get_running_loop():
            raise RuntimeError("wait_idle must run on the dispatch's event loop")
        await asyncio.sleep(0)  # let call_soon_threadsafe hand-offs land first
        await self.coalescer.wait_idle(timeout)

    # after commit ------------------------------------------------------------------------------
    def _committed(self, changes: ChangeSet) -> None:
        """Called from whichever thread committed; the rest happens on the event loop."""
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        loop = self._loop
        if running is not None and (loop is None or loop is running or loop.is_closed()):
            self._loop = running
            self._accept(changes)
        elif loop is not None and not loop.is_closed() and loop.is_running():
            loop.call_soon_threadsafe(self._accept, changes)
        else:
            self._accept_blocking(changes)

    def _accept(self, changes: ChangeSet) -> None:
        for topic, event, payload in changes.events:
            self.broadcaster(topic, event, payload)
        if changes.has_counters:
            self.coalescer.add(changes.take_counters())

    def _accept_blocking(self, changes: ChangeSet) -> None:
        # No event loop anywhere (a script with sync sessions): recount right here.
        for topic, event, payload in changes.events:
            self.broadcaster(topic, event, payload)
        if changes.has_counters:
            try:
                asyncio.run(self.counters.recompute(changes))
            except Exception:
                log.exception("liveui.dispatch: recomputing counters outside a loop failed")

