"""The in-process backend: the default for one process, and the reference the others must match."""

from __future__ import annotations

from .base import Backend

__all__ = ["MemoryBackend"]


class MemoryBackend(Backend):
    """Delivers to this process only.

    The hub already delivers every broadcast to local subscribers directly, so this backend never
    needs to loop a message back; `publish` exists so the contract suite can exercise it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._channels: set[str] = set()
        self.started = False

    @property
    def is_distributed(self) -> bool:
        return False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.started = False
        self._channels.clear()

    async def subscribe(self, channels: list[str]) -> None:
        self._channels.update(channels)

    async def unsubscribe(self, channels: list[str]) -> None:
        self._channels.difference_update(channels)

    async def publish(self, channel: str, data: bytes) -> None:
        if channel in self._channels:
            self._deliver(channel, data)
