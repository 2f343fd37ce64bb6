"""`ChannelSocket`: what a channel callback sees of its connection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .process import Forwarder

if TYPE_CHECKING:
    from .connection import Connection
    from .endpoint import Endpoint
    from .process import ChannelProcess
    from .socket import Socket

__all__ = ["ChannelSocket"]


class ChannelSocket:
    """Per-channel state: a copy of the connection's assigns plus the channel's own.

    `assigns` set in one channel do not leak into the connection or into other channels, as in
    Phoenix.
    """

    __slots__ = ("_process", "_subscriptions", "assigns", "connection", "join_ref", "topic")

    def __init__(self, connection: Connection, topic: str, join_ref: str | None) -> None:
        self.connection = connection
        self.topic = topic
        self.join_ref = join_ref
        self.assigns: dict[str, Any] = dict(connection.assigns)
        self._process: ChannelProcess | None = None
        self._subscriptions: dict[str, Forwarder] | None = None

    @property
    def endpoint(self) -> Endpoint:
        return self.connection.endpoint

    @property
    def handler(self) -> Socket:
        """The `Socket` instance that accepted this connection: where app dependencies live."""
        return self.connection.handler

    @property
    def id(self) -> str | None:
        return self.connection.socket_id

    def assign(self, **values: Any) -> None:
        self.assigns.update(values)

    def push(self, event: str, payload: Any) -> None:
        """Send an event to this client only."""
        if self._process is None:
            raise RuntimeError("push is not possible before the channel is set up")
        self._process.push(event, payload)

    def broadcast(self, event: str, payload: Any) -> None:
        """Send to every subscriber of this topic on every node, this client included."""
        self.connection.endpoint.broadcast(self.topic, event, payload)

    def broadcast_from(self, event: str, payload: Any) -> None:
        """Like `broadcast`, but not to this connection."""
        self.connection.endpoint.broadcast_from(self.connection, self.topic, event, payload)

    def send_info(self, message: Any) -> None:
        """Queue `message` for this channel's `handle_info`, after anything already queued."""
        if self._process is None:
            raise RuntimeError("send_info is not possible before the channel is set up")
        self._process.post_info(message)

    # further topics (Phoenix: `Endpoint.subscribe/1` from a channel) ---------------------------
    def subscribe(self, topic: str) -> None:
        """Hear `topic` too, on every node: its broadcasts arrive in `handle_info` as `Broadcast`
        objects (`.topic`, `.event`, `.payload`), its `Endpoint.send_info` messages as sent.
        Dropped when the channel ends; subscribing twice is one subscription."""
        process = self._process
        if process is None:
            raise RuntimeError("subscribe is not possible before the channel is set up")
        if topic == self.topic:
            raise ValueError(f"liveui: a channel already hears its own topic {topic!r}")
        subscriptions = self._subscriptions
        if subscriptions is None:
            subscriptions = self._subscriptions = {}
            process.on_exit(self._unsubscribe_all)
        if topic in subscriptions or process.stopped:
            return
        forwarder = subscriptions[topic] = Forwarder(process)
        self.connection.endpoint.hub.subscribe(topic, forwarder)

    def unsubscribe(self, topic: str) -> None:
        forwarder = (self._subscriptions or {}).pop(topic, None)
        if forwarder is not None:
            self.connection.endpoint.hub.unsubscribe(topic, forwarder)

    @property
    def subscriptions(self) -> list[str]:
        """The further topics this channel hears (not its own)."""
        return list(self._subscriptions or ())

    def _unsubscribe_all(self) -> None:
        for topic in list(self._subscriptions or ()):
            self.unsubscribe(topic)
