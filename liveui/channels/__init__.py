"""Channels: a Phoenix-Channels-compatible server (the official phoenix.js client works unchanged).

Three layers kept apart: `websocket` moves bytes and knows close codes; `serializers` and
`message` define the wire format; `socket`, `channel` and `endpoint` are what applications use.
"""

from .channel import Channel
from .channel_socket import ChannelSocket
from .connection import CloseCode, Connection, Transport
from .endpoint import Endpoint
from .message import Inbound, Reply, Stop, error, ok, reply, stop
from .serializers import DecodeError, Serializer, V1JSONSerializer, V2JSONSerializer
from .settings import ChannelSettings
from .socket import ChannelRoute, ConnectInfo, Socket, SocketInfo, channel

__all__ = [
    "Channel",
    "ChannelRoute",
    "ChannelSettings",
    "ChannelSocket",
    "CloseCode",
    "ConnectInfo",
    "Connection",
    "DecodeError",
    "Endpoint",
    "Inbound",
    "Reply",
    "Serializer",
    "Socket",
    "SocketInfo",
    "Stop",
    "Transport",
    "V1JSONSerializer",
    "V2JSONSerializer",
    "channel",
    "error",
    "ok",
    "reply",
    "stop",
]
