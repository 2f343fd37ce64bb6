"""The message structs of the channel protocol, independent of any serializer or transport."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Frame", "Inbound", "Reply", "Stop", "error", "ok", "reply", "stop"]

Frame = str | bytes
"""What goes over the transport: text for JSON frames, bytes for binary frames."""

Ref = str | None


@dataclass(frozen=True, slots=True)
class Inbound:
    """A decoded client frame. `payload` is JSON data, or bytes for a binary push."""

    join_ref: Ref
    ref: Ref
    topic: str
    event: str
    payload: Any


@dataclass(frozen=True, slots=True)
class Reply:
    """A reply to a join or a push: `status` is any string, "ok" and "error" by convention."""

    status: str
    response: Any


@dataclass(frozen=True, slots=True)
class Stop:
    """Stop the channel normally: the client receives `phx_close` and does not rejoin."""

    reason: str = "normal"
    reply: Reply | None = None


def ok(response: Any = None) -> Reply:
    return Reply("ok", {} if response is None else response)


def error(response: Any = None) -> Reply:
    return Reply("error", {} if response is None else response)


def reply(status: str, response: Any = None) -> Reply:
    return Reply(status, {} if response is None else response)


def stop(reason: str = "normal", reply: Reply | None = None) -> Stop:
    return Stop(reason, reply)
