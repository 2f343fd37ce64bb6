"""Pub/sub: deliver broadcasts locally and, through a backend, to the other nodes."""

from .base import Backend, MessageHandler
from .broadcast import Broadcast, Subscriber
from .factory import backend_from_url
from .hub import Hub
from .memory import MemoryBackend

__all__ = ["Backend", "Broadcast", "Hub", "MemoryBackend", "MessageHandler", "Subscriber", "backend_from_url"]
