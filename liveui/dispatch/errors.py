"""Errors raised by `liveui.dispatch`.

    DispatchError
     ├── ConfigurationError   a setting is missing or wrong (the message names it)
     ├── Forbidden            the actor may not touch this notification
     └── NotFound             no such notification (unknown or malformed id)
"""

from __future__ import annotations

__all__ = ["ConfigurationError", "DispatchError", "Forbidden", "NotFound"]


class DispatchError(Exception):
    """Base class of every error raised by `liveui.dispatch`."""


class ConfigurationError(DispatchError):
    """Dispatch is misconfigured; the message names the setting to fix."""


class Forbidden(DispatchError):
    """The actor does not own the notification it tried to change."""


class NotFound(DispatchError):
    """The notification does not exist, or its id is not a valid UUID."""
