"""`UserChannel`: the ready-made channel for `user:*` topics.

    class MyUserChannel(UserChannel):
        pass

    class UserSocket(Socket):
        channels = [channel("user:*", MyUserChannel)]

It finds its `Dispatch` by itself (the one bound to the endpoint with `Dispatch(...,
endpoint=endpoint)`, or a class attribute `dispatch = ...`). Override any method and call
`super()` to keep the default behaviour around your own.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ..channels.channel import Channel, HandlerResult
from ..channels.channel_socket import ChannelSocket
from ..channels.message import Reply, error, ok
from .broadcaster import COUNTER_UPDATED, NEW_NOTIFICATION, counter_payload, user_topic
from .dispatch import Dispatch
from .errors import ConfigurationError, Forbidden, NotFound

if TYPE_CHECKING:
    from ..channels.endpoint import Endpoint
    from ..pubsub.hub import Hub

__all__ = ["AFTER_JOIN", "RESYNC", "RESYNC_CONCURRENCY", "UserChannel"]

log = logging.getLogger("liveui.dispatch")

AFTER_JOIN = "liveui.dispatch:after_join"
"""The `send_info` message that makes the channel push `initial_state` after its join reply."""
RESYNC = "liveui.dispatch:resync"
"""The `send_info` message that makes a joined channel push a fresh `initial_state`."""
RESYNC_CONCURRENCY = 4
"""Channels of one node reloading at once in a resync, so they do not empty the database pool."""


class UserChannel(Channel):
    dispatch: ClassVar[Dispatch | None] = None
    notification_limit: ClassVar[int] = 50

    # finding the dispatch ------------------------------------------------------------------
    @classmethod
    def get_dispatch(cls, socket: ChannelSocket | None = None) -> Dispatch:
        if cls.dispatch is not None:
            return cls.dispatch
        found = Dispatch.for_endpoint(socket.endpoint if socket is not None else None)
        if found is None:
            raise ConfigurationError(
                f"{cls.__name__} has no Dispatch: create Dispatch(..., endpoint=endpoint) or set "
                f"the class attribute `dispatch`"
            )
        return found

    @staticmethod
    def user_id(socket: ChannelSocket) -> Any:
        return socket.assigns.get("user_id")

    # lifecycle -----------------------------------------------------------------------------
    async def join(self, topic: str, payload: Any, socket: ChannelSocket) -> Reply | None:
        """Allowed when the topic's id is the connection's `user_id` (compared as strings)."""
        _, _, wanted = topic.partition(":")
        user_id = self.user_id(socket)
        if user_id is None or not wanted or str(user_id) != wanted:
            log.warning("liveui.dispatch: refused join of %s by user %r", topic, user_id)
            return error({"reason": "unauthorized"})
        socket.send_info(AFTER_JOIN)  # queued: runs after the join reply went out
        _NodeResync.ensure(socket.endpoint)
        return ok()

    async def handle_info(self, message: Any, socket: ChannelSocket) -> None:
        if message == AFTER_JOIN:
            await self.after_join(socket)
        elif message == RESYNC:
            async with _NodeResync.ensure(socket.endpoint).limit:
                await self.resync(socket)

    async def after_join(self, socket: ChannelSocket) -> None:
        state = await self.get_dispatch(socket).channel_state(
            self.user_id(socket), notification_limit=self.notification_limit
        )
        socket.push("initial_state", state)

    async def resync(self, socket: ChannelSocket) -> None:
        """Messages may have been lost (a pub/sub outage ended): push a fresh `initial_state`."""
        await self.after_join(socket)

    async def terminate(self, reason: str, socket: ChannelSocket) -> None:
        if not socket.endpoint.started:  # the endpoint is shutting down
            _NodeResync.release(socket.endpoint)

    @classmethod
    def resync_all(cls, endpoint: Endpoint) -> int:
        """Make every `UserChannel` joined on this node's `endpoint` reload and push a fresh
        `initial_state` (each in its own mailbox, in order with its other work); returns how
        many were asked. The hub calls this after a pub/sub outage."""
        asked = 0
        for connection in list(endpoint.connections):
            for process in list(connection.channels.values()):
                if isinstance(process.channel, UserChannel) and not process.stopped:
                    process.socket.send_info(RESYNC)
                    asked += 1
        return asked

    async def handle_in(self, event: str, payload: Any, socket: ChannelSocket) -> HandlerResult:
        if event == "refresh_counters":
            return await self.refresh_counters(payload, socket)
        if event == "mark_notification_read":
            return await self.mark_notification_read(payload, socket)
        if event == "mark_all_notifications_read":
            return await self.mark_all_notifications_read(payload, socket)
        return await super().handle_in(event, payload, socket)

    # client requests -----------------------------------------------------------------------
    async def refresh_counters(self, payload: Any, socket: ChannelSocket) -> HandlerResult:
        if payload is not None and not isinstance(payload, Mapping):
            return error({"reason": "invalid"})
        values = await self.get_dispatch(socket).counters.load_counter_values(
            self.user_id(socket)
        )
        return ok({
            "counters": {name: v.value for name, v in values.items()},
            "versions": {name: v.version for name, v in values.items()},
        })

    async def mark_notification_read(self, payload: Any, socket: ChannelSocket) -> HandlerResult:
        if not isinstance(payload, Mapping) or not isinstance(payload.get("id"), str):
            return error({"reason": "invalid"})
        try:
            await self.get_dispatch(socket).notifications.mark_as_read(
                payload["id"], actor=self.user_id(socket)
            )
        except Forbidden:
            log.warning("liveui.dispatch: user %r may not mark notification %s read",
                        self.user_id(socket), payload["id"])
            return error({"reason": "unauthorized"})
        except NotFound:
            return error({"reason": "not_found"})
        return ok()

    async def mark_all_notifications_read(
        self, payload: Any, socket: ChannelSocket
    ) -> HandlerResult:
        if payload is not None and not isinstance(payload, Mapping):
            return error({"reason": "invalid"})
        user_id = self.user_id(socket)
        try:
            result = await self.get_dispatch(socket).notifications.mark_all_as_read(
                user_id, actor=user_id
            )
        except Forbidden:
            return error({"reason": "unauthorized"})
        return ok(result)

    # broadcasting from anywhere ------------------------------------------------------------
    @classmethod
    def broadcast_notification(cls, user_id: Any, notification: Any) -> None:
        """Send a notification (a model instance, or an already serialized dict)."""
        dispatch = cls.get_dispatch()
        payload = notification
        if not isinstance(notification, Mapping):
            payload = dispatch.notifications.serializer(notification)
        dispatch.broadcaster(user_topic(user_id), NEW_NOTIFICATION, payload)

    @classmethod
    def broadcast_counter(
        cls,
        user_id: Any,
        counter_name: str,
        value: int,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Push a counter value by hand; it gets a fresh version, newer than any before."""
        dispatch = cls.get_dispatch()
        declared = dispatch.registry.counters.get(counter_name)
        owner = None if declared is not None and declared.is_global else user_id
        stamped = dispatch.values.stamp(counter_name, owner, value)
        invalidates: list[str] = []
        if metadata is not None:
            invalidates = list(metadata.get("invalidate_queries", ()))
        elif declared is not None:
            invalidates = list(declared.invalidates)
        dispatch.broadcaster(
            user_topic(user_id),
            COUNTER_UPDATED,
            counter_payload(counter_name, value, invalidates, stamped.version),
        )

    @classmethod
    def broadcast_counters(cls, user_id: Any, counters: Mapping[str, int]) -> None:
        for name, value in counters.items():
            cls.broadcast_counter(user_id, name, value)


class _NodeResync:
    """The one hub resync listener of an endpoint's `UserChannel`s, and their reload limit."""

    _by_endpoint: ClassVar[weakref.WeakKeyDictionary[Any, _NodeResync]] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self, endpoint: Endpoint) -> None:
        # A weak reference: the hub holds this listener, and the endpoint holds the hub.
        self._endpoint = weakref.ref(endpoint)
        self._hub: Hub = endpoint.hub
        self.limit = asyncio.Semaphore(RESYNC_CONCURRENCY)
        self._hub.on_resync(self)

    @classmethod
    def ensure(cls, endpoint: Endpoint) -> _NodeResync:
        found = cls._by_endpoint.get(endpoint)
        if found is None:
            found = cls._by_endpoint[endpoint] = cls(endpoint)
        return found

    @classmethod
    def release(cls, endpoint: Endpoint) -> None:
        found = cls._by_endpoint.pop(endpoint, None)
        if found is not None:
            found._hub.remove_resync(found)

    def __call__(self) -> None:
        endpoint = self._endpoint()
        if endpoint is not None:
            asked = UserChannel.resync_all(endpoint)
            log.info("liveui.dispatch: resync: %d user channel(s) reload their state", asked)
