"""What the pieces of the channel server ask of the pieces above them, as structural types.

The pieces stack in one direction: the `Endpoint` mounts transports; a transport builds a
`Connection`; a connection runs one `ChannelProcess` per joined topic; a process calls its
`Channel`'s callbacks with a `ChannelSocket`, which is plain data. No piece imports one above
it: what it needs of one is declared here, and the piece above satisfies it by shape.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..node import Node
    from ..ratelimit import TokenBucket
    from .channel_settings import ChannelSettings
    from .message import Frame
    from .serializers import Serializer

__all__ = ["ChannelConnection", "ConnectionEndpoint", "JoinedChannel", "Transport"]


class Transport(Protocol):
    """What a `Connection` writes through: a WebSocket, a long-poll session, a test double."""

    close_code: int | None
    """The code the server closed with (None: open, or closed by the client)."""

    def send(self, frame: Frame) -> None:
        """Queue a frame; never blocks. The transport applies its overflow policy."""

    def close(self, code: int, reason: str) -> None:
        """Close the connection (idempotent)."""

    def queue_depth(self) -> int:
        """Frames waiting to be written (for metrics)."""


class ConnectionEndpoint(Protocol):
    """What connections and transports ask of the `Endpoint` that serves them."""

    @property
    def node(self) -> Node: ...
    @property
    def settings(self) -> ChannelSettings: ...
    @property
    def hub(self) -> Any: ...
    @property
    def closes(self) -> Counter[str]: ...
    @property
    def resync_limit(self) -> asyncio.Semaphore: ...
    async def authenticate(
        self, handler: Any, params: dict[str, Any], info: Any
    ) -> tuple[dict[str, Any], str | None] | str: ...
    def register(self, connection: Any) -> TokenBucket | None: ...
    def unregister(self, connection: Any) -> None: ...
    def dropped_socket_event(self, socket_id: str, event: str) -> None: ...
    def broadcast(self, topic: str, event: str, payload: Any) -> None: ...
    def broadcast_from(self, sender: object, topic: str, event: str, payload: Any) -> None: ...


class JoinedChannel(Protocol):
    """What a `ChannelSocket` and `Presence` ask of the running channel behind a socket."""

    @property
    def stopped(self) -> bool: ...
    def push(self, event: str, payload: Any) -> None: ...
    def post_info(self, message: Any) -> None: ...
    def subscribe(self, topic: str) -> None: ...
    def unsubscribe(self, topic: str) -> None: ...
    @property
    def subscriptions(self) -> list[str]: ...
    def on_exit(self, hook: Any) -> None: ...


class ChannelConnection(Protocol):
    """What a `ChannelProcess` and its `ChannelSocket` ask of their `Connection`."""

    @property
    def endpoint(self) -> ConnectionEndpoint: ...
    @property
    def handler(self) -> Any: ...
    @property
    def socket_id(self) -> str | None: ...
    @property
    def assigns(self) -> dict[str, Any]: ...
    @property
    def settings(self) -> ChannelSettings: ...
    @property
    def serializer(self) -> Serializer: ...
    @property
    def transport(self) -> Transport: ...
    @property
    def closed(self) -> bool: ...
    def send(self, frame: Frame) -> None: ...
    def close(self, code: int, reason: str) -> None: ...
    def send_reply(
        self, join_ref: str | None, ref: str | None, topic: str, status: str, response: Any
    ) -> None: ...
    async def close_channel(self, process: Any, reason: str) -> None: ...
    async def crash_channel(self, process: Any) -> None: ...
    def joined(self, socket: Any) -> JoinedChannel | None:
        """The running channel behind `socket`; None once it ended."""
