"""`ChannelSocket`: what a channel callback sees of its connection — plain data.

It holds the connection, the topic, the join ref and the channel's own assigns; what it can do
(push, broadcast, `send_info`, further subscriptions) it asks of the connection, which finds the
running channel behind it. A socket whose channel has ended does nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .roles import ChannelConnection, ConnectionEndpoint, JoinedChannel

__all__ = ["ChannelSocket"]


class ChannelSocket:
    """Per-channel state: a copy of the connection's assigns plus the channel's own.

    `assigns` set in one channel do not leak into the connection or into other channels, as in
    Phoenix.
    """

    __slots__ = ("assigns", "connection", "join_ref", "topic")

    def __init__(self, connection: ChannelConnection, topic: str, join_ref: str | None) -> None:
        self.connection = connection
        self.topic = topic
        self.join_ref = join_ref
        self.assigns: dict[str, Any] = dict(connection.assigns)

    @property
    def endpoint(self) -> ConnectionEndpoint:
        return self.connection.endpoint

    @property
    def handler(self) -> Any:
        """The `Socket` instance that accepted this connection: where app dependencies live."""
        return self.connection.handler

    @property
    def id(self) -> str | None:
        return self.connection.socket_id

    def assign(self, **values: Any) -> None:
        self.assigns.update(values)

    def _channel(self) -> JoinedChannel | None:
        return self.connection.joined(self)

    def push(self, event: str, payload: Any) -> None:
        """Send an event to this client only."""
        channel = self._channel()
        if channel is not None:
            channel.push(event, payload)

    def broadcast(self, event: str, payload: Any) -> None:
        """Send to every subscriber of this topic on every node, this client included."""
        self.connection.endpoint.broadcast(self.topic, event, payload)

    def broadcast_from(self, event: str, payload: Any) -> None:
        """Like `broadcast`, but not to this connection."""
        self.connection.endpoint.broadcast_from(self.connection, self.topic, event, payload)

    def send_info(self, message: Any) -> None:
        """Queue `message` for this channel's `handle_info`, after anything already queued."""
        channel = self._channel()
        if channel is not None:
            channel.post_info(message)

    # further topics (Phoenix: `Endpoint.subscribe/1` from a channel) ---------------------------
    def subscribe(self, topic: str) -> None:
        """Hear `topic` too, on every node: its broadcasts arrive in `handle_info` as `Broadcast`
        objects (`.topic`, `.event`, `.payload`), its `Endpoint.send_info` messages as sent.
        Dropped when the channel ends; subscribing twice is one subscription."""
        if topic == self.topic:
            raise ValueError(f"liveui: a channel already hears its own topic {topic!r}")
        channel = self._channel()
        if channel is not None:
            channel.subscribe(topic)

    def unsubscribe(self, topic: str) -> None:
        channel = self._channel()
        if channel is not None:
            channel.unsubscribe(topic)

    @property
    def subscriptions(self) -> list[str]:
        """The further topics this channel hears (not its own)."""
        channel = self._channel()
        return channel.subscriptions if channel is not None else []
