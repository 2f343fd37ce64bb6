"""Test helpers for apps built on liveui (and for liveui's own suite).

- `connect`, `SocketClient`, `ChannelClient`: Phoenix ChannelTest equivalents (`join`, `push`,
  `assert_reply`, `assert_push`, `assert_broadcast`, `refute_push`) over the real protocol engine.
- `serve`: run an ASGI app on a real uvicorn server on loopback.
"""

from .channels import (
    ANY,
    ChannelClient,
    ConnectRefused,
    JoinRefused,
    ReceivedFrame,
    SocketClient,
    connect,
)
from .server import LiveServer, free_port, serve

__all__ = [
    "ANY",
    "ChannelClient",
    "ConnectRefused",
    "JoinRefused",
    "LiveServer",
    "ReceivedFrame",
    "SocketClient",
    "connect",
    "free_port",
    "serve",
]
