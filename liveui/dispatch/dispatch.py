"""`Dispatch`: the facade tying counters, notifications and session hooks to one app.

    dispatch = Dispatch(settings, node=node, engine=engine)
    dispatch.install(SessionLocal)            # sessionmaker / async_sessionmaker
    ...
    await dispatch.notify(session, user.id, title="Order shipped", type="success")
    await session.commit()                    # -> new_notification + counter_updated

Flow after a commit: the session hooks hand a `ChangeSet` to `_committed` (from whatever thread
committed); its events go out at once, and so do the primary keys of the rows each declared
collection may have gained, changed or lost (`rows_changed` on `collection:<name>`: keys only,
the nodes showing the collection re-read them); its counters go to the `Coalescer` (at once
after a quiet period, else merged with the others of the window), then
`CounterLoader.recompute` recounts them with one grouped query each and broadcasts every value
it read (changed or not: another node may have broadcast in between, see `values`); declared
aggregates (sums, averages...) ride the same path through `AggregateLoader`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from ..errors import ConfigurationError
from ..node import Node, Stage
from ..row_events import ROWS_CHANGED, collection_topic, rows_changed
from ..user_events import (
    COUNTER_UPDATED,
    COUNTERS_UPDATED,
    INITIAL_STATE,
    NEW_NOTIFICATION,
    counter_updated,
    counters_updated,
    user_topic,
    with_ash_field_names,
)
from .aggregate_loader import AggregateLoader
from .broadcaster import Broadcaster
from .changes import ChangeSet
from .channel_state import ChannelState
from .coalescer import Coalescer
from .collection_loader import CollectionLoader
from .counter_loader import CounterLoader
from .counter_registry import UNREAD_NOTIFICATIONS, CounterRegistry
from .database import Database
from .dispatch_settings import BroadcastFn, DispatchSettings
from .hand_made import HandMadeBroadcasts
from .notification_loader import NotificationLoader
from .notification_table import NotificationSerializer
from .session_hooks import SessionHooks

__all__ = ["Dispatch"]

log = logging.getLogger("liveui.dispatch")


class Dispatch:
    def __init__(
        self,
        settings: DispatchSettings | None = None,
        *,
        node: Node | None = None,
        engine: Engine | AsyncEngine | None = None,
        broadcast: BroadcastFn | str | None = None,
    ) -> None:
        """`node`: the runtime to broadcast through and start with (its own when omitted: then
        pass `broadcast`, or nothing leaves this process)."""
        self.settings = settings or DispatchSettings()
        self.engine = engine
        self.node = node if node is not None else Node()
        self.registry = CounterRegistry(self.settings)
        self.database = Database(engine)
        self.broadcaster = Broadcaster(
            broadcast or self.settings.counter_broadcast_fn, node,
            ash_field_names=self.settings.ash_field_names,
        )
        self.counters = CounterLoader(self.registry, self.database, self.broadcaster)
        self.collections = CollectionLoader(self.registry, self.database)
        self.aggregates = AggregateLoader(self.registry, self.database, self.broadcaster)
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
        self.state = ChannelState(self.counters, self.notifications, self.aggregates)
        self.hooks = SessionHooks(self.registry, self._committed, self.database.dialect)
        self.coalescer = Coalescer(self.settings.coalesce_window, self._recompute)
        self._warned_unwatched = False
        self.hand_made = HandMadeBroadcasts(
            self.broadcaster, self.database, self.counters.clock, self.node
        )
        self.node.attach(self, Stage.PRODUCER)

    # set-up ------------------------------------------------------------------------------------
    def install(self, target: Any) -> None:
        """Hook session events of a sessionmaker, async_sessionmaker, Session class or session.

        Counter and collection declarations are resolved now, so a mistake in one fails at
        start-up with its name rather than later inside a commit.
        """
        self.registry.counters  # noqa: B018 (resolve and validate now)
        self.registry.aggregates  # noqa: B018
        self.registry.collections  # noqa: B018
        self.hooks.install(target)
        self.node.adopt_loop()

    async def start(self) -> None:
        """Called by the node's lifespan."""
        self.node.adopt_loop()
        self.registry.counters  # noqa: B018
        self.registry.aggregates  # noqa: B018
        if self.registry.counters and not self.hooks.installed:
            log.warning(
                "liveui.dispatch: dispatch.install(sessions) was never called, so no commit "
                "recounts a counter: badges stay at their first value. Call it once with your "
                "sessionmaker / async_sessionmaker"
            )

    async def stop(self, timeout: float = 5.0) -> None:
        """Finish the recomputes already due (their updates are not lost), then stop."""
        try:
            await self.wait_idle(timeout)
        except (TimeoutError, RuntimeError):
            log.warning("liveui.dispatch: stopped with counter recomputes still pending")
        await self.coalescer.close()

    @property
    def counter_names(self) -> frozenset[str]:
        """Every declared counter's name (with `unread_notifications` when notifications are
        configured)."""
        return frozenset(self.registry.counters)

    @property
    def aggregate_names(self) -> frozenset[str]:
        """Every declared aggregate's name."""
        return frozenset(self.registry.aggregates)

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
        [notification] = await self.notify_many(
            session_or_engine, [user_id], title=title, message=message, type=type,
            metadata=metadata, action_label=action_label, action_url=action_url,
        )
        return notification

    async def notify_many(
        self,
        session_or_engine: Session | AsyncSession | Engine | AsyncEngine | None,
        user_ids: Iterable[Any] = (),
        *,
        audience: str | None = None,
        title: str,
        message: str = "",
        type: str = "info",
        metadata: Mapping[str, Any] | None = None,
        action_label: str | None = None,
        action_url: str | None = None,
    ) -> list[Any]:
        """The same notification for several users — a list, and/or every member of an
        `audience` ("admin") — stored in one INSERT; each gets `new_notification` after the
        commit. Returns the notifications."""
        members = await self.counters.members_of(audience) if audience is not None else ()
        recipients = list(dict.fromkeys([*user_ids, *members]))  # in order, each once
        notifications = [
            self.notifications.build(
                uid, title=title, message=message, type=type, metadata=metadata,
                action_label=action_label, action_url=action_url,
            )
            for uid in recipients
        ]
        if not notifications:
            return []
        changes = ChangeSet()
        for notification in notifications:
            changes.events.append(
                (user_topic(notification.user_id), NEW_NOTIFICATION,
                 self.notifications.serializer(notification))
            )
            changes.touch(UNREAD_NOTIFICATIONS, notification.user_id)
        target = session_or_engine
        if isinstance(target, (Session, AsyncSession)):
            sync = target.sync_session if isinstance(target, AsyncSession) else target
            self._warn_unwatched(sync)
            self.hooks.hook_session(sync)
            target.add_all(notifications)
            self.hooks.pending(sync).merge(changes)
            return notifications
        database = self.database if target is None else Database(target)

        def store(conn: Any) -> None:
            with Session(bind=conn, expire_on_commit=False) as session:
                session.add_all(notifications)
                session.commit()
                for notification in notifications:
                    session.expunge(notification)

        await database.run(store)
        self._committed(changes)
        return notifications

    def _warn_unwatched(self, session: Session) -> None:
        if self.hooks.covers(session) or self._warned_unwatched:
            return
        self._warned_unwatched = True
        log.warning(
            "liveui.dispatch: notify() got a session from a factory dispatch.install() never "
            "hooked: the notification is sent after commit, but the same commit's other changes "
            "recount no counter. Pass that sessionmaker to dispatch.install()"
        )

    # counters ----------------------------------------------------------------------------------
    def action(self, session: Session | AsyncSession, name: str, instance: Any) -> None:
        """Signal a named application action on `instance` ("complete", "cancel"...): counters
        declared with `on=[name]` recompute after the session commits."""
        sync = session.sync_session if isinstance(session, AsyncSession) else session
        self.hooks.hook_session(sync)
        changes = self.hooks.pending(sync)
        for c in self.registry.measured_for_class(type(instance)):
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
        """Recompute a counter (or an aggregate) for these owners (all of its audience if
        global): after the session commits, or now without a session. For bulk UPDATE/DELETE
        statements, which bypass the flush the hooks watch."""
        c = self.registry.aggregates.get(name) or self.registry.get(name)  # or its wire name
        changes = ChangeSet()
        if c.is_global:
            changes.touch(c.name, is_global=True)
        for owner in owners:
            changes.touch(c.name, owner)
        self._after_commit_of(session, changes)

    def touch_rows(
        self,
        collection: str,
        keys: Iterable[Any],
        *,
        session: Session | AsyncSession | None = None,
    ) -> None:
        """Tell the nodes showing a collection that these rows changed: after the session
        commits, or now without a session. For bulk UPDATE/DELETE statements and raw SQL,
        which bypass the flush the hooks watch."""
        self.registry.collection(collection)  # an unknown name fails here, not later
        changes = ChangeSet()
        for key in keys:
            changes.touch_row(collection, key)
        self._after_commit_of(session, changes)

    def _after_commit_of(
        self, session: Session | AsyncSession | None, changes: ChangeSet
    ) -> None:
        """Hand `changes` on when `session` commits (dropped if it rolls back), or now."""
        if session is None:
            self._committed(changes)
            return
        sync = session.sync_session if isinstance(session, AsyncSession) else session
        self.hooks.hook_session(sync)
        self.hooks.pending(sync).merge(changes)

    # broadcasting by hand (AshDispatch's broadcast_counter / broadcast_notification) ----------
    def broadcast_notification(self, user_id: Any, notification: Any) -> None:
        """Send a notification (a model instance, or an already serialized dict) to a user's
        tabs; call it after the transaction that stored it committed."""
        payload = notification
        if not isinstance(notification, Mapping):
            payload = self.notifications.serializer(notification)
        self.broadcaster(user_topic(user_id), NEW_NOTIFICATION, payload)

    def broadcast_counter(
        self,
        user_id: Any,
        counter_name: str,
        value: int,
        metadata: Mapping[str, Any] | None = None,
    ) -> asyncio.Future[None] | None:
        """Push a counter value by hand, versioned by the recounts' own clock (see
        `HandMadeBroadcasts`): newer than every recount that read before it, older than every
        recount that reads after it (which then wins). On PostgreSQL it returns the task that
        sends once the database clock is read."""
        name, invalidates = self._wire_counter(counter_name)
        return self.hand_made.send(
            user_topic(user_id), COUNTER_UPDATED,
            lambda version: counter_updated(name, value, version, invalidates, metadata),
        )

    def broadcast_counters(
        self,
        user_id: Any,
        counters: Mapping[str, int],
        metadata: Mapping[str, Any] | None = None,
    ) -> asyncio.Future[None] | None:
        """AshDispatch's `broadcast_counters/2`: several counter values in one message,
        `counters_updated` `{"counters", "versions", "metadata"}`, versioned as
        `broadcast_counter` versions one."""
        values: dict[str, int] = {}
        invalidates: list[str] = []
        for given, value in counters.items():
            name, keys = self._wire_counter(given)
            values[name] = value
            invalidates.extend(keys)
        return self.hand_made.send(
            user_topic(user_id), COUNTERS_UPDATED,
            lambda version: counters_updated(values, version, invalidates, metadata),
        )

    def _wire_counter(self, name: str) -> tuple[str, list[str]]:
        """A counter's wire name and query keys; an undeclared name is sent as given."""
        try:
            declared = self.registry.get(name)
        except ConfigurationError:
            return name, []
        return declared.name, list(declared.invalidates)

    async def channel_state(
        self,
        user_id: Any,
        notification_limit: int = 50,
        notification_serializer: NotificationSerializer | None = None,
        counter_models: Iterable[type[Any]] | None = None,
        parallel: bool = True,
        *,
        counter_domains: Iterable[type[Any]] | None = None,
    ) -> dict[str, Any]:
        """AshDispatch's `ChannelState.build/2`: the `initial_state` payload of `user_id`
        (`counter_domains` is accepted as AshDispatch's name for `counter_models`)."""
        state = await self.state.build(
            user_id, notification_limit, notification_serializer, counter_models, parallel,
            counter_domains=counter_domains,
        )
        if self.settings.ash_field_names:
            state = with_ash_field_names(INITIAL_STATE, state)
        return state

    async def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait until every committed change has been recomputed and broadcast (for tests,
        scripts and graceful shutdown)."""
        loop = self.node.loop
        if loop is not None and not loop.is_closed() and loop is not asyncio.get_running_loop():
            raise RuntimeError("wait_idle must run on the dispatch's event loop")
        await asyncio.sleep(0)  # let call_soon_threadsafe hand-offs land first
        await self.coalescer.wait_idle(timeout)
        await self.hand_made.wait_sent(timeout)

    # after commit ------------------------------------------------------------------------------
    def _committed(self, changes: ChangeSet) -> None:
        """Called from whichever thread committed; the rest happens on the event loop."""
        if not self.node.call_soon(self._accept, changes):
            self._accept_blocking(changes)

    def _accept(self, changes: ChangeSet) -> None:
        if changes.has_counters:
            # Its events and row changes leave with its counters, once they are recounted: a
            # page then receives one commit as one patch (its badges, rows and notifications
            # together), and a badge never runs ahead of the table it counts.
            self.coalescer.add(changes)
        else:
            self._send(changes)

    def _send(self, changes: ChangeSet) -> None:
        """Broadcast a commit's events and row changes (its counters are the recount's)."""
        for topic, event, payload in changes.events:
            self.broadcaster(topic, event, payload)
        self._broadcast_rows(changes)

    def _accept_blocking(self, changes: ChangeSet) -> None:
        # No event loop anywhere (a script with sync sessions): recount right here.
        if not changes.has_counters:
            self._send(changes)
            return
        try:
            asyncio.run(self._recompute(changes))
        except Exception:
            log.exception("liveui.dispatch: recomputing counters outside a loop failed")

    async def _recompute(self, changes: ChangeSet) -> int:
        """One coalesced recount of the counters and the aggregates, in one read: one version
        and one membership query per audience for both; the commits' events and row changes are
        broadcast just before the values, or without them if the recount fails. Returns the
        counter broadcasts made."""
        sent = False

        def send() -> None:
            nonlocal sent
            if not sent:
                sent = True
                self._send(changes)

        try:
            return await self.counters.recompute(changes, also=(self.aggregates,), first=send)
        finally:
            send()

    def _broadcast_rows(self, changes: ChangeSet) -> None:
        for name, keys in changes.rows.items():
            wire = sorted((k if isinstance(k, (int, str)) else str(k) for k in keys), key=str)
            self.broadcaster(collection_topic(name), ROWS_CHANGED, rows_changed(wire))
