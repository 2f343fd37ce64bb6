"""The app-facing channel behaviour: subclass `Channel`, route a topic pattern to it.

A channel instance lives for one join of one topic on one connection. Its callbacks may be
coroutines or plain functions; each receives the `ChannelSocket`, the channel's view of the
connection (assigns, topic, push/broadcast).

    class RoomChannel(Channel):
        async def join(self, topic, payload, socket):
            return ok({"joined": topic})

        async def handle_in(self, event, payload, socket):
            if event == "ping":
                return ok({"pong": True})
            return error({"reason": "unknown event"})
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from .message import Reply, Stop, error

if TYPE_CHECKING:
    from .channel_socket import ChannelSocket

__all__ = ["Channel"]

HandlerResult = Reply | Stop | None


class Channel:
    intercept: ClassVar[tuple[str, ...]] = ()
    """Broadcast events routed through `handle_out` instead of straight to the client."""

    async def join(self, topic: str, payload: Any, socket: ChannelSocket) -> Reply | None:
        """Return `ok(response)` to accept (None means `ok({})`) or `error(response)` to refuse."""
        return error({"reason": "unauthorized"})

    async def handle_in(self, event: str, payload: Any, socket: ChannelSocket) -> HandlerResult:
        """A client push. Return a `Reply`, `None` for no reply, or `stop(...)`."""
        return error({"reason": "unknown event", "event": event})

    async def handle_info(self, message: Any, socket: ChannelSocket) -> Stop | None:
        """A message sent with `socket.send_info` (e.g. after-join work)."""
        return None

    async def handle_out(self, event: str, payload: Any, socket: ChannelSocket) -> None:
        """An intercepted broadcast; the default forwards it unchanged."""
        socket.push(event, payload)

    async def terminate(self, reason: str, socket: ChannelSocket) -> None:
        """The channel ends: "leave", "closed", "duplicate_join", "crash" or a stop reason."""

    async def resync(self, socket: ChannelSocket) -> None:
        """After a pub/sub outage broadcasts may have been lost: reload what the client shows
        (`UserChannel` pushes a fresh `initial_state`). Called only when overridden, a few
        channels of the endpoint at a time; the default does nothing."""

    @classmethod
    def resyncs(cls) -> bool:
        """Whether this channel defines `resync` (the endpoint asks only those)."""
        return cls.resync is not Channel.resync
