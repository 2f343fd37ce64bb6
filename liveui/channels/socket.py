"""The app-facing socket behaviour: authenticate a connection and route its topics.

class UserSocket(Socket):
    channels = [channel("room:*", RoomChannel),
                channel("user:*", UserChannel, dispatch=dispatch)]

    async def connect(self, params, connect_info):
        user_id = verify_token(params.get("token") or connect_info.auth_token)
        return {"user_id": user_id} if user_id else None   # None refuses with HTTP 403

    def id(self, socket):
        return f"users_socket:{socket.assigns['user_id']}"
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .channel import Channel

__all__ = ["ChannelRoute", "ConnectInfo", "Socket", "SocketInfo", "channel"]


@dataclass(frozen=True, slots=True)
class ChannelRoute:
    pattern: str
    channel: type[Channel]
    options: Mapping[str, Any] = field(default_factory=dict)
    """Keyword arguments for the channel's constructor, once per join (its dependencies)."""

    def matches(self, topic: str) -> bool:
        if self.pattern.endswith("*"):
            return topic.startswith(self.pattern[:-1])
        return topic == self.pattern

    def create(self) -> Channel:
        return self.channel(**self.options)


def channel(pattern: str, channel_cls: type[Channel], **options: Any) -> ChannelRoute:
    """Route topics matching `pattern` ("room:*" is a prefix, anything else exact) to
    `channel_cls(**options)`, e.g. `channel("user:*", UserChannel, dispatch=dispatch)`."""
    if "*" in pattern[:-1]:
        raise ValueError(f"liveui: only a trailing * is supported in topic patterns: {pattern!r}")
    return ChannelRoute(pattern, channel_cls, options)


@dataclass(frozen=True, slots=True)
class ConnectInfo:
    """What the transport knows about the connection attempt."""

    headers: Mapping[str, str] = field(default_factory=dict)
    peer: tuple[str, int] | None = None
    origin: str | None = None
    auth_token: str | None = None
    """The token the client passed with phoenix.js's `authToken` option (subprotocol)."""
    path: str = ""


@dataclass(slots=True)
class SocketInfo:
    assigns: dict[str, Any]


class Socket:
    channels: ClassVar[Sequence[ChannelRoute]] = ()

    async def connect(
        self, params: dict[str, Any], connect_info: ConnectInfo
    ) -> dict[str, Any] | None:
        """Return the connection's assigns to accept, None (or raise) to refuse with HTTP 403."""
        return {}

    def id(self, socket: SocketInfo) -> str | None:
        """A topic naming this user's connections, for `endpoint.disconnect(id)`; None for none."""
        return None

    def route(self, topic: str) -> ChannelRoute | None:
        for route in self.channels:
            if route.matches(topic):
                return route
        return None
