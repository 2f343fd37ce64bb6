"""The pub/sub backend contract: move opaque bytes between the nodes of one deployment.

A backend knows nothing of topics' meaning, serializers or connections; the `Hub` does the local
fan-out and hands the backend one encoded envelope per broadcast. Keeping this contract tiny is
what lets Redis and PostgreSQL drop in without changing any caller.
"""

from __future__ import annotations

import abc
from collections.abc import Callable

__all__ = ["Backend", "MessageHandler"]

MessageHandler = Callable[[str, bytes], None]
"""Called on the event loop with (channel, data) for every message published by any node."""


class Backend(abc.ABC):
    """Delivers `publish(channel, data)` to the handler of every node subscribed to `channel`."""

    def __init__(self) -> None:
        self._handler: MessageHandler | None = None

    def set_handler(self, handler: MessageHandler) -> None:
        self._handler = handler

    @property
    def is_distributed(self) -> bool:
        """False for a backend that only reaches this process (the hub then skips publishing)."""
        return True

    @abc.abstractmethod
    async def start(self) -> None: ...

    @abc.abstractmethod
    async def stop(self) -> None: ...

    @abc.abstractmethod
    async def subscribe(self, channels: list[str]) -> None: ...

    @abc.abstractmethod
    async def unsubscribe(self, channels: list[str]) -> None: ...

    @abc.abstractmethod
    async def publish(self, channel: str, data: bytes) -> None: ...

    def _deliver(self, channel: str, data: bytes) -> None:
        if self._handler is not None:
            self._handler(channel, data)
