"""liveui: LiveView-style real-time, server-rendered UI for Starlette.

See the README for a quick start and docs/ for one page per concept.
"""

from .channels import (
    Channel,
    ChannelSettings,
    ChannelSocket,
    ConnectInfo,
    Endpoint,
    Reply,
    Socket,
    Stop,
    channel,
    error,
    ok,
    reply,
    stop,
)
from .dispatch import Dispatch, DispatchSettings, UserChannel, counter, notification_model
from .live import LiveBadge, LiveComponent, LiveSession, LiveSettings, LiveUI, NotificationDropdown
from .pubsub import Backend, Hub, MemoryBackend, backend_from_url
from .templating import install_templates
from .tokens import TokenError, TokenExpired, TokenInvalid, TokenMissing

__version__ = "0.1.0"

__all__ = [
    "Backend",
    "Channel",
    "ChannelSettings",
    "ChannelSocket",
    "ConnectInfo",
    "Dispatch",
    "DispatchSettings",
    "Endpoint",
    "Hub",
    "LiveBadge",
    "LiveComponent",
    "LiveSession",
    "LiveSettings",
    "LiveUI",
    "MemoryBackend",
    "NotificationDropdown",
    "Reply",
    "Socket",
    "Stop",
    "TokenError",
    "TokenExpired",
    "TokenInvalid",
    "TokenMissing",
    "UserChannel",
    "__version__",
    "backend_from_url",
    "channel",
    "counter",
    "error",
    "install_templates",
    "notification_model",
    "ok",
    "reply",
    "stop",
]
