"""The pub/sub backend contract: move opaque bytes between the nodes of one deployment.

A backend knows nothing of topics' meaning, serializers or connections; the `Hub` does the local
fan-out and hands the backend one encoded envelope per broadcast. Keeping this contract tiny is
what lets Redis and PostgreSQL drop in without changing any caller.

What every backend promises (the contract suite in `tests/pubsub/` checks it):

- `publish(channel, data)` reaches the handler of every backend instance subscribed to
  `channel`, the publishing instance included; messages of one channel arrive in order.
- `subscribe`/`unsubscribe` never raise because the server is away: the backend remembers the
  wanted channels and restores them when it reconnects.
- `publish` raises `BackendUnavailable` when the server cannot be reached; the hub retries.
- after a lost connection (or any other loss of inbound messages) the backend calls the gap
  handler once it receives again, so the hub can tell its listeners to reload.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence

from ..backoff import OutageLog

__all__ = ["Backend", "BackendUnavailable", "GapHandler", "MessageHandler"]

MessageHandler = Callable[[str, bytes], None]
"""Called on the event loop with (channel, data) for every message published by any node."""

GapHandler = Callable[[], None]
"""Called on the event loop when inbound messages may have been lost (an outage ended)."""


class BackendUnavailable(ConnectionError):
    """The backend's server cannot be reached right now; the caller may retry later."""


class Backend(abc.ABC):
    """Delivers `publish(channel, data)` to the handler of every node subscribed to `channel`."""

    def __init__(self) -> None:
        self._handler: MessageHandler | None = None
        self._gap_handler: GapHandler | None = None
        self.listen_outage: OutageLog | None = None
        """The receiving side's outages, for backends that hold a connection to listen on."""

    def set_handler(self, handler: MessageHandler) -> None:
        self._handler = handler

    def set_gap_handler(self, handler: GapHandler) -> None:
        self._gap_handler = handler

    @property
    def is_distributed(self) -> bool:
        """False for a backend that only reaches this process (the hub then skips publishing)."""
        return True

    @abc.abstractmethod
    async def start(self) -> None:
        """Connect; an unreachable server is not an error here (the backend keeps retrying)."""

    @abc.abstractmethod
    async def stop(self) -> None: ...

    @abc.abstractmethod
    async def subscribe(self, channels: list[str]) -> None: ...

    @abc.abstractmethod
    async def unsubscribe(self, channels: list[str]) -> None: ...

    @abc.abstractmethod
    async def publish(self, channel: str, data: bytes) -> None: ...

    async def publish_many(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """Publish in order; backends override it to send a batch in one round trip."""
        for channel, data in messages:
            await self.publish(channel, data)

    def _deliver(self, channel: str, data: bytes) -> None:
        if self._handler is not None:
            self._handler(channel, data)

    def _signal_gap(self) -> None:
        if self._gap_handler is not None:
            self._gap_handler()
