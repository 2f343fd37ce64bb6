"""Dispatch: counters and in-app notifications declared next to the data, broadcast after commit.

Where things live:
- `counter` — declaring a counter on a model; `registry` — finding them; `session_hooks` —
  noting what a transaction moved; `coalescer` — gathering commits; `counters` — the grouped
  recount and loading values; `values` — last values and versions.
- `notification` — the table and its serializer; `notifications` — loading and marking.
- `dispatch` — the facade; `channel_state` and `user_channel` — what a `user:*` client gets.
"""

from .channel_state import ChannelState
from .counter import Counter, CounterSpec, CounterValue, counter
from .counters import CounterLoader
from .describe import CounterInfo, describe_counters
from .dispatch import Dispatch
from .errors import ConfigurationError, DispatchError, Forbidden, NotFound
from .notification import NOTIFICATION_TYPES, default_serializer, notification_model
from .notifications import NotificationLoader
from .registry import UNREAD_NOTIFICATIONS
from .settings import DispatchSettings
from .urls import async_url
from .user_channel import UserChannel

Audience = str
"""An audience name: "user" (everyone) or a key of `DispatchSettings.audiences`."""

__all__ = [
    "NOTIFICATION_TYPES",
    "UNREAD_NOTIFICATIONS",
    "Audience",
    "ChannelState",
    "ConfigurationError",
    "Counter",
    "CounterInfo",
    "CounterLoader",
    "CounterSpec",
    "CounterValue",
    "Dispatch",
    "DispatchError",
    "DispatchSettings",
    "Forbidden",
    "NotFound",
    "NotificationLoader",
    "UserChannel",
    "async_url",
    "counter",
    "default_serializer",
    "describe_counters",
    "notification_model",
]
