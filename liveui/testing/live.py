"""Test live components without a browser: mount, render, drive events, assert on patches.

    async with live_harness(dispatch=dispatch) as harness:
        html = await harness.render(LiveBadge("pending_orders"), user_id=1)
        tab = await harness.open(1, LiveBadge("pending_orders"))
        harness.broadcast("user:1", "counter_updated", {...})
        patch = await tab.next_patch()
        assert patch.text("liveui-badge-pending_orders") == "3"
        await tab.change_view("live-my_orders", status="pending")   # as the page's controls

Drive it as the page would: `await tab.click(dropdown, "mark_read", id="5")` (a button's
event), `await tab.push_hook_event(component, "copied", {"id": 5})` (a client hook's
pushEvent), `await tab.submit("open_ticket", {...}, files=...)` and `await tab.validate(...)`
(a live form, see `liveui.testing.forms`); then read the patches, and the server's events to the
tab's hooks with `patch.events` or `await tab.next_event()`.

It runs the real `LiveSession` (hub subscription, diffing, outbox) that the SSE and WebSocket
transports drain; only the network is left out.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Any, NamedTuple

from ..live.actions import run_event
from ..live.app import LiveUI
from ..live.component import LiveComponent
from ..live.live_connection import LiveConnection, Outgoing
from ..live.session import LiveSession
from ..live.view_change import change_view
from ..node import Node
from ..user_events import UserDataSource
from .forms import FileUpload, FormResult, FormSender
from .patches import ClientEvent, Patch, PatchElement

__all__ = [
    "ClientEvent",
    "EventResult",
    "LiveHarness",
    "LiveTab",
    "Patch",
    "PatchElement",
    "live_harness",
]


class EventResult(NamedTuple):
    """How the server answered an event: 204 and "" when it ran, else the status and reason a
    page would get."""

    status: int
    reason: str

    @property
    def ok(self) -> bool:
        return self.status == 204


class LiveTab:
    """A browser tab without the browser: a real session and connection on the harness."""

    def __init__(self, connection: LiveConnection, live: LiveUI | None = None) -> None:
        self.connection = connection
        self.live = live
        self._forms: FormSender | None = None
        self._events: deque[ClientEvent] = deque()
        # A transport write takes every pending item at once; patches not yet read wait here.
        self._unread: deque[Outgoing] = deque()

    @property
    def session(self) -> LiveSession:
        """The session this tab reads (shared with other tabs of the same page until it acts)."""
        session = self.connection.session
        assert isinstance(session, LiveSession)
        return session

    @property
    def session_id(self) -> str:
        """The tab's own id (its page's), also when it shares another tab's session."""
        return self.connection.tab

    async def change_view(self, component_id: str, **view: Any) -> dict[str, Any]:
        """Change a component's view as the page's controls would (docs/view-params.md): the
        server cleans it, swaps the component in and patches this tab. Returns the answer
        (`{"view": ..., "query": ...}`); AssertionError with the reason when refused."""
        if self.live is None:
            raise RuntimeError("change_view needs a tab opened by LiveHarness.open")
        answer = await change_view(self.live.registry, self.session.user_id, self.session_id,
                                   {"component": component_id, "view": json.dumps(view)})
        body = bytes(answer.body)
        if answer.status_code != 200:
            raise AssertionError(f"view change refused ({answer.status_code}): {body!r}")
        result: dict[str, Any] = json.loads(body)
        return result

    async def next_patch(self, timeout: float = 5.0) -> Patch:
        """The next patch written to this tab (heartbeats skipped)."""
        async with asyncio.timeout(timeout):
            while True:
                if not self._unread:
                    self.session.flush()  # what this loop turn queued is written first
                    self._unread.extend(await self.connection.next())
                item = self._unread.popleft()
                if item.kind == "patch":
                    return Patch.parse(item.event_id, item.text)
                if item.kind == "close":
                    raise AssertionError(f"the connection was closed: {item.text}")

    async def patches_until(
        self, predicate: Callable[[Patch], bool], timeout: float = 5.0
    ) -> Patch:
        """Skip patches until one satisfies `predicate`."""
        async with asyncio.timeout(timeout):
            while True:
                patch = await self.next_patch(timeout)
                if predicate(patch):
                    return patch

    async def drain(self, timeout: float = 5.0) -> list[Patch]:
        """Every patch written to this tab and not read yet (none: an empty list, no wait)."""
        patches = []
        while self.pending():
            patches.append(await self.next_patch(timeout))
        return patches

    def pending(self) -> int:
        """Patches written to this tab and not read yet (those queued in this loop turn are
        written first)."""
        self.session.flush()
        unread = sum(1 for item in self._unread if item.kind == "patch")
        return unread + len(self.session.outbox.after(self.connection.cursor))

    def close(self) -> None:
        self.session.detach(self.connection)

    # driving it as the page would ------------------------------------------------------------
    def _live(self) -> LiveUI:
        if self.live is None:
            raise RuntimeError("liveui.testing: open the tab with LiveHarness.open to drive it")
        return self.live

    async def click(
        self, component: LiveComponent, event: str, **fields: Any
    ) -> EventResult:
        """Send `event` to this tab's `component`, as a button with `event_vals(event, **fields)`
        does (the same checks and handler as a POST to the event endpoint)."""
        data = {"event": event, "spec": json.dumps(component.spec()),
                **{k: str(v) for k, v in fields.items()}}
        session = self.session
        status, reason = await run_event(
            self._live().registry, session.user_id, self.session_id, data
        )
        return EventResult(status, reason)

    async def push_hook_event(
        self, component: LiveComponent, event: str, payload: Any = None
    ) -> EventResult:
        """What a client hook's `this.pushEvent(event, payload)` sends to its component."""
        return await self.click(component, event, payload=json.dumps(payload))

    async def next_event(self, timeout: float = 5.0) -> ClientEvent:
        """The next event the server pushed to this tab's hooks (patches in between skipped)."""
        async with asyncio.timeout(timeout):
            while not self._events:
                self._events.extend((await self.next_patch(timeout)).events)
        return self._events.popleft()

    def _sender(self) -> FormSender:
        if self._forms is None:
            self._forms = FormSender(self._live(), self.session.user_id, self.session_id)
        return self._forms

    async def submit(
        self,
        form: str,
        fields: Mapping[str, str],
        *,
        files: Mapping[str, FileUpload | list[FileUpload]] | None = None,
    ) -> FormResult:
        """Submit the live form `form` from this tab (`FormSender.submit`)."""
        return await self._sender().submit(form, fields, files=files)

    async def validate(
        self,
        form: str,
        fields: Mapping[str, str],
        *,
        touched: Iterable[str] | None = None,
        files: Mapping[str, Iterable[tuple[str, int, str]]] | None = None,
    ) -> FormResult:
        """A change check of the live form `form` (`FormSender.validate`)."""
        return await self._sender().validate(form, fields, touched=touched, files=files)

    async def aclose(self) -> None:
        self.close()
        if self._forms is not None:
            await self._forms.close()


class LiveHarness:
    def __init__(self, live: LiveUI) -> None:
        self.live = live

    @property
    def node(self) -> Node:
        return self.live.node

    def broadcast(self, topic: str, event: str, payload: Any) -> None:
        """Send a broadcast to the sessions subscribed to `topic`."""
        self.live.node.broadcast(topic, event, payload)

    async def render(self, component: LiveComponent, *, user_id: Any = None) -> str:
        """Mount `component` for `user_id` and return its first-paint HTML."""
        await component.mount(self.live.context(user_id))
        return component.render(self.live.renderer)

    def flush(self) -> None:
        """Write what every tab queued in this loop turn now (the end of the turn would write
        it as one patch per tab): broadcasts before and after it make separate patches."""
        self.live.registry.flusher.flush_now()

    async def open(
        self, user_id: Any, *components: LiveComponent, session_id: str | None = None,
        last_event_id: str | None = None, etags: dict[str, str] | None = None,
    ) -> LiveTab:
        """Open a session with these components, as liveui.js would on page load."""
        import secrets

        sid = session_id or secrets.token_hex(6)
        specs = [(c, (etags or {}).get(c.id)) for c in components]
        connection = await self.live.registry.connect(user_id, sid, specs, last_event_id)
        return LiveTab(connection, self.live)

    async def send_event(
        self,
        user_id: Any,
        event: str,
        component: LiveComponent | None = None,
        *,
        spec: str | None = None,
        session_id: str = "",
        **fields: Any,
    ) -> EventResult:
        """An event from a page that has no tab here (or a forged one): `component` or a raw
        `spec` names its target, exactly as a POST would; checks and answers as for any page."""
        data: dict[str, Any] = {"event": event, **{k: str(v) for k, v in fields.items()}}
        if component is not None:
            data["spec"] = json.dumps(component.spec())
        if spec is not None:
            data["spec"] = spec
        status, reason = await run_event(self.live.registry, user_id, session_id, data)
        return EventResult(status, reason)


@contextlib.asynccontextmanager
async def live_harness(
    *,
    dispatch: UserDataSource | None = None,
    node: Node | None = None,
    live: LiveUI | None = None,
    **options: Any,
) -> AsyncIterator[LiveHarness]:
    """A started node and `LiveUI` (made here unless given), stopped afterwards."""
    if live is None:
        live = LiveUI(
            node=node or Node(),
            dispatch=dispatch,
            secret_key=options.pop("secret_key", "liveui-test-secret-of-32-characters-or-more"),
            get_user_id=options.pop("get_user_id", lambda request: None),
            **options,
        )
    await live.node.start()
    try:
        yield LiveHarness(live)
    finally:
        await live.node.stop()
