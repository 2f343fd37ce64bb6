"""`Broadcast`: one message for every subscriber of a topic, encoded at most once per format."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["Broadcast", "Subscriber"]


class Broadcast:
    """A topic event carried to every subscriber; `exclude` names the sender for broadcast_from.

    `frame(key, encode)` memoizes each wire encoding, so a broadcast to 5,000 connections that
    speak the same serializer is encoded once and the very same object is written 5,000 times.
    """

    __slots__ = ("_frames", "event", "exclude", "payload", "topic")

    def __init__(self, topic: str, event: str, payload: Any, exclude: object | None = None) -> None:
        self.topic = topic
        self.event = event
        self.payload = payload
        self.exclude = exclude
        self._frames: dict[object, Any] = {}

    def frame(self, key: object, encode: Callable[[Broadcast], Any]) -> Any:
        try:
            return self._frames[key]
        except KeyError:
            frame = self._frames[key] = encode(self)
            return frame

    def __repr__(self) -> str:
        return f"Broadcast(topic={self.topic!r}, event={self.event!r})"


class Subscriber(Protocol):
    """Anything that receives broadcasts: a channel connection, a live session, a test probe.

    `deliver` runs on the event loop and must not block: enqueue, never await.
    """

    def deliver(self, message: Broadcast) -> None: ...
