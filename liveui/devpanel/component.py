"""`DevPanel`: the dev panel as a live component — it re-renders when the recorder says
something new happened, and its "Replay" buttons are live events checked on the server."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from typing import Any, ClassVar

from .._utils import maybe_await
from ..channels.endpoint import Endpoint
from ..errors import EventRejected
from ..live.app import LiveUI
from ..live.component import LiveComponent
from ..live.context import LiveContext
from ..metrics.readings import read_node
from ..pubsub.broadcast import Broadcast
from .recorder import PANEL_TOPIC, Recorder

__all__ = ["PANEL_ID", "DevPanel"]

PANEL_ID = "liveui-dev-panel"

FIGURES = {  # reading name -> the panel's label
    "liveui_live_sessions": "live sessions",
    "liveui_live_sessions_paused": "paused (hidden tabs)",
    "liveui_connections": "open connections",
    "liveui_channels_joined": "joined channels",
    "liveui_slow_client_drops_total": "slow clients dropped",
    "liveui_live_attaches_total": "live attaches (new / replay / resync)",
    "liveui_recounts_total": "recounts",
    "liveui_pubsub_up": "pub/sub up",
}
MAX_TOPICS = 50


def _clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(at)) + f".{int(at % 1 * 1000):03d}"


class DevPanel(LiveComponent):
    name = "liveui_dev_panel"
    template = "liveui/dev_panel.html"
    params_schema: ClassVar[Mapping[str, type | tuple[type, ...]] | None] = {}
    reload_on_resume = True  # its state is a look at the node, cheaper to take again

    def dom_id(self) -> str:
        return PANEL_ID

    def topics(self, user_id: Any) -> list[str]:
        return [PANEL_TOPIC]

    async def authorize(self, ctx: LiveContext) -> bool:
        recorder = Recorder.of(ctx.node)
        if recorder is None or ctx.user_id is None:
            return False
        return bool(await maybe_await(recorder.is_admin(ctx.user_id)))

    async def mount(self, ctx: LiveContext) -> None:
        recorder = self._recorder = Recorder.of(ctx.node)
        if recorder is not None:
            recorder.watch()
        self.state = _look(recorder) if recorder is not None else {}

    def handle_info(self, message: Broadcast) -> bool:
        recorder = getattr(self, "_recorder", None)
        if recorder is None:
            return False
        before, self.state = self.state, _look(recorder)
        return self.state != before

    async def handle_event(self, event: str, data: Mapping[str, Any], ctx: LiveContext) -> None:
        if event != "replay":
            raise EventRejected(400, f"the dev panel has no event {event!r}")
        recorder = Recorder.of(ctx.node)
        if recorder is None or not await self.authorize(ctx):
            raise EventRejected(403, "the dev panel is for administrators")
        seq = data.get("seq")
        if not isinstance(seq, str) or not seq.isdigit() or len(seq) > 18:
            raise EventRejected(400, "replay needs the seq of a recorded broadcast")
        if recorder.replay(int(seq)) is None:
            raise EventRejected(404, "that broadcast is no longer kept; pick a newer one")


def _look(recorder: Recorder) -> dict[str, Any]:
    """What the panel shows, as plain data (its state)."""
    node = recorder.node
    readings = {r.name: r for r in read_node(node)}
    figures = [
        {"label": label, "value": int(readings[name].total())}
        for name, label in FIGURES.items() if name in readings
    ]
    live_by_user: Counter[str] = Counter()
    paused_by_user: Counter[str] = Counter()
    slow: list[dict[str, Any]] = []
    for live in node.parts(LiveUI):
        for session in list(live.registry.sessions.values()):
            user = str(session.user_id)
            tabs = len(session.tabs)  # the pages it serves (tabs may share a session)
            live_by_user[user] += tabs
            paused_by_user[user] += tabs if session.paused else 0
            for connection in session.connections:
                depth = session.outbox.pending(connection.cursor, connection.max_pending)
                if depth:
                    slow.append({"user": user, "side": "live", "depth": depth})
    sockets_by_user: Counter[str] = Counter()
    for endpoint in node.parts(Endpoint):
        for connection in list(endpoint.connections):
            user = str(connection.user_key)
            sockets_by_user[user] += 1
            depth = connection.transport.queue_depth()
            if depth:
                slow.append({"user": user, "side": "socket", "depth": depth})
    users = sorted(set(live_by_user) | set(sockets_by_user))
    topics = sorted(node.hub.subscriber_counts().items(), key=lambda item: (-item[1], item[0]))
    return {
        "figures": figures,
        "users": [
            {"user": u, "live": live_by_user[u], "paused": paused_by_user[u],
             "sockets": sockets_by_user[u]}
            for u in users
        ],
        "topics": [{"topic": t, "subscribers": n} for t, n in topics[:MAX_TOPICS]],
        "broadcasts": [
            {"seq": b.seq, "at": _clock(b.at), "topic": b.topic, "event": b.event,
             "size": b.size, "origin": "here" if b.sent_here else "other node",
             "subscribers": b.subscribers, "ms": round(b.seconds * 1000, 2)}
            for b in reversed(recorder.broadcasts)
        ],
        "patches": [
            {"at": _clock(p.at), "user": p.user, "component": p.component, "size": p.size,
             "ms": round(p.seconds * 1000, 2)}
            for p in reversed(recorder.patches)
        ],
        "slow": sorted(slow, key=lambda s: -s["depth"])[:MAX_TOPICS],
    }
