"""`UserChannel`: the ready-made channel for `user:<id>` topics, fed by a `Dispatch`.

    class UserSocket(Socket):
        channels = [channel("user:*", UserChannel, dispatch=dispatch)]

A client may join only its own `user:<id>` (the connection's `user_id` assign); after the join
reply it gets `initial_state` (counters, versions, recent notifications), then every event of
the topic as it is broadcast. Override any method and call `super()` to keep the default
behaviour around your own.

A client request that fails for any other reason than the ones it answers (a database error, a
timeout) is answered `{"reason": "failed"}` — `mark_all_notifications_read` adds `details`, the
error's class name — as AshDispatch's channel does; the cause is logged once, with its
traceback, and the channel stays joined (it would otherwise end with `phx_error` and leave the
client's push waiting for its timeout).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..errors import Forbidden, NotFound
from ..log_limit import RefusalLog
from ..user_events import (
    INITIAL_STATE,
    MARK_ALL_NOTIFICATIONS_READ,
    MARK_NOTIFICATION_READ,
    REFRESH_COUNTERS,
    UserDataSource,
    counter_state,
    user_id_of,
)
from .channel import Channel, HandlerResult
from .channel_socket import ChannelSocket
from .message import Reply, error, ok

__all__ = ["AFTER_JOIN", "UserChannel"]

log = logging.getLogger("liveui.channels")
# a client repeating a refused request makes one line per window, with a count
_refusals = RefusalLog(log)

AFTER_JOIN = "liveui.channels:after_join"
"""The `send_info` message that makes the channel push `initial_state` after its join reply."""


class UserChannel(Channel):
    notification_limit = 50

    def __init__(self, dispatch: UserDataSource) -> None:
        self.dispatch = dispatch

    @staticmethod
    def user_id(socket: ChannelSocket) -> Any:
        return socket.assigns.get("user_id")

    # lifecycle -----------------------------------------------------------------------------
    async def join(self, topic: str, payload: Any, socket: ChannelSocket) -> Reply | None:
        """Allowed when the topic's id is the connection's `user_id` (compared as strings)."""
        wanted = user_id_of(topic)
        user_id = self.user_id(socket)
        if user_id is None or wanted is None or str(user_id) != wanted:
            _refusals.refused((id(socket.connection), "join"), logging.WARNING,
                              "liveui.channels: refused join of %r by user %r", topic, user_id)
            return error({"reason": "unauthorized"})
        socket.send_info(AFTER_JOIN)  # queued: runs after the join reply went out
        return ok()

    async def handle_info(self, message: Any, socket: ChannelSocket) -> None:
        if message == AFTER_JOIN:
            await self.after_join(socket)

    async def after_join(self, socket: ChannelSocket) -> None:
        state = await self.dispatch.channel_state(
            self.user_id(socket), notification_limit=self.notification_limit
        )
        socket.push(INITIAL_STATE, state)

    async def resync(self, socket: ChannelSocket) -> None:
        """Messages may have been lost (a pub/sub outage ended): push a fresh `initial_state`."""
        await self.after_join(socket)

    async def handle_in(self, event: str, payload: Any, socket: ChannelSocket) -> HandlerResult:
        try:
            if event == REFRESH_COUNTERS:
                return await self.refresh_counters(payload, socket)
            if event == MARK_NOTIFICATION_READ:
                return await self.mark_notification_read(payload, socket)
            if event == MARK_ALL_NOTIFICATIONS_READ:
                return await self.mark_all_notifications_read(payload, socket)
        except Exception as exc:
            return self.request_failed(event, exc, socket)
        return await super().handle_in(event, payload, socket)

    def request_failed(self, event: str, exc: Exception, socket: ChannelSocket) -> Reply:
        """The reply to a client request that raised: `{"reason": "failed"}` (plus `details` for
        `mark_all_notifications_read`, as AshDispatch sends). Only the error's class name leaves
        the server; the message and traceback, which may hold SQL, go to the log."""
        log.error("liveui.channels: %s of user %r on %s failed: %r", event, self.user_id(socket),
                  socket.topic, exc, exc_info=exc)
        if event == MARK_ALL_NOTIFICATIONS_READ:
            return error({"reason": "failed", "details": type(exc).__name__})
        return error({"reason": "failed"})

    # client requests -----------------------------------------------------------------------
    async def refresh_counters(self, payload: Any, socket: ChannelSocket) -> HandlerResult:
        if payload is not None and not isinstance(payload, Mapping):
            return error({"reason": "invalid"})
        values = await self.dispatch.counters.load_counter_values(self.user_id(socket))
        return ok(counter_state(values))

    async def mark_notification_read(self, payload: Any, socket: ChannelSocket) -> HandlerResult:
        if not isinstance(payload, Mapping) or not isinstance(payload.get("id"), str):
            return error({"reason": "invalid"})
        try:
            await self.dispatch.notifications.mark_as_read(
                payload["id"], actor=self.user_id(socket)
            )
        except Forbidden:
            _refusals.refused((id(socket.connection), "read"), logging.WARNING,
                              "liveui.channels: user %r may not mark notification %r read",
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
            result = await self.dispatch.notifications.mark_all_as_read(user_id, actor=user_id)
        except Forbidden:
            return error({"reason": "unauthorized"})
        return ok({"markedCount": result["marked_count"]})  # camelCase on the wire
