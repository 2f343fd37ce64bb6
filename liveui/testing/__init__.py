"""Test helpers for apps built on liveui (and for liveui's own suite).

- `connect`, `SocketClient`, `ChannelClient`: Phoenix ChannelTest equivalents (`join`, `push`,
  `assert_reply`, `assert_push`, `assert_broadcast`, `refute_push`) over the real protocol engine.
- `BroadcastRecorder` (fixture `dispatch_broadcasts`): capture what dispatch broadcasts and
  `assert_counter_broadcast(user_id, "pending_orders", 5)`.
- `live_harness`: render live components and read their patches without a browser; a
  `LiveTab` drives them as the page would (`click`, `push_hook_event`, `submit` and `validate`
  a live form with files, `next_event` for what the server pushed to the tab's hooks).
- `serve`: run an ASGI app on a real uvicorn server on loopback; `CHROMIUM_ARGS` and
  `chromium_executable()` to drive the system's Chromium with Playwright.
"""

from .browser import CHROMIUM_ARGS, chromium_executable
from .channels import (
    ANY,
    ChannelClient,
    ConnectRefused,
    JoinRefused,
    ReceivedFrame,
    SocketClient,
    connect,
)
from .dispatch import BroadcastRecorder, RecordedBroadcast
from .forms import FormResult, FormSender
from .live import (
    ClientEvent,
    EventResult,
    LiveHarness,
    LiveTab,
    Patch,
    PatchElement,
    live_harness,
)
from .process import ServerProcess
from .server import LiveServer, free_port, serve

__all__ = [
    "ANY",
    "CHROMIUM_ARGS",
    "BroadcastRecorder",
    "ChannelClient",
    "ClientEvent",
    "ConnectRefused",
    "EventResult",
    "FormResult",
    "FormSender",
    "JoinRefused",
    "LiveHarness",
    "LiveServer",
    "LiveTab",
    "Patch",
    "PatchElement",
    "ReceivedFrame",
    "RecordedBroadcast",
    "ServerProcess",
    "SocketClient",
    "chromium_executable",
    "connect",
    "free_port",
    "live_harness",
    "serve",
]
