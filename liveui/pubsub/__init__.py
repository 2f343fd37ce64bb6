"""Pub/sub: deliver broadcasts locally and, through a backend, to the other nodes.

`backend_from_url` picks the backend from `LIVEUI_PUBSUB_URL`-style URLs; `RedisBackend` and
`PostgresBackend` are imported from their modules (`liveui.pubsub.redis`, `.postgres`) so their
optional drivers load only when used.
"""

from .base import Backend, BackendUnavailable, GapHandler, MessageHandler
from .broadcast import Broadcast, Subscriber
from .factory import PUBSUB_URL_ENV, backend_from_url
from .hub import Hub
from .memory import MemoryBackend
from .overflow import BoundedQueue, Overflow

__all__ = [
    "PUBSUB_URL_ENV",
    "Backend",
    "BackendUnavailable",
    "BoundedQueue",
    "Broadcast",
    "GapHandler",
    "Hub",
    "MemoryBackend",
    "MessageHandler",
    "Overflow",
    "Subscriber",
    "backend_from_url",
]
