"""Events from the server to one tab's client hooks (docs/hooks.md).

    ctx.push_event("copied", {"ticket": 5})       # in a component's handle_event

An event travels like any patch (the tab's outbox, over SSE or WebSocket, replayed after a
reconnect): an element appended to the page's `#liveui-events` sink, which liveui-hooks.js
hands to every hook that called `this.handleEvent("copied", ...)` and then removes. Payloads are
JSON; they sit in an attribute, so they are escaped like any text the server writes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from markupsafe import escape

__all__ = ["EVENTS_SINK_ID", "client_event_html"]

EVENTS_SINK_ID = "liveui-events"
_EVENT = re.compile(r"^[A-Za-z][\w:.-]{0,63}$")


def client_event_html(event: str, payload: Any) -> str:
    if not _EVENT.match(event):
        raise ValueError(
            f"liveui: push_event name {event!r} must start with a letter and hold only letters, "
            "digits and _ : . -"
        )
    data = json.dumps(payload, separators=(",", ":"))
    return (
        f'<template><div id="{EVENTS_SINK_ID}" hx-swap-oob="beforeend">'
        f'<div hidden data-liveui-event="{event}" data-liveui-payload="{escape(data)}"></div>'
        "</div></template>"
    )
