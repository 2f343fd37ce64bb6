"""Errors of the live UI.

    LiveError
     ├── SpecError       a component spec from the page is malformed or names no known component
     └── EventRejected   a user action was refused (carries the HTTP status to answer with)
"""

from __future__ import annotations

__all__ = ["EventRejected", "LiveError", "SpecError"]


class LiveError(Exception):
    """Base class of the live UI's errors."""


class SpecError(LiveError):
    """A component spec (type + params) could not be turned into a component."""


class EventRejected(LiveError):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
