"""`ChannelProcess`: one joined channel, isolated behind its own bounded mailbox.

Client pushes, `send_info` messages and intercepted broadcasts are queued and handled one at a
time, in order, by a drain task that exists only while there is work (an idle channel costs no
task). An exception in a callback ends this channel with `phx_error`; the connection and its
other channels keep working.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._utils import maybe_await
from ..close_codes import CloseCode
from .message import Inbound, Reply, Stop

if TYPE_CHECKING:
    from ..pubsub.broadcast import Broadcast
    from .channel import Channel
    from .channel_socket import ChannelSocket
    from .roles import ChannelConnection

__all__ = ["INFO_EVENT", "RESYNC", "ChannelProcess", "Forwarder"]

log = logging.getLogger("liveui.channels")

_IN, _INFO, _OUT, _LEAVE = 0, 1, 2, 3

RESYNC = "liveui.channels:resync"
"""The info message that runs the channel's `resync(socket)` (after a pub/sub outage), at most
`ChannelSettings.resync_concurrency` channels of the endpoint at once."""

INFO_EVENT = "liveui.channels:info"
"""A broadcast with this event carries a message for `handle_info` (`Endpoint.send_info`); it is
never written to a client."""


class ChannelProcess:
    __slots__ = (
        "_draining",
        "_exit_hooks",
        "_joined",
        "_mailbox",
        "_pending_pushes",
        "_subscriptions",
        "_task",
        "channel",
        "connection",
        "leaving",
        "socket",
        "stopped",
    )

    def __init__(
        self, connection: ChannelConnection, channel: Channel, socket: ChannelSocket
    ) -> None:
        self.connection = connection
        self.channel = channel
        self.socket = socket
        # Made on the first message: an empty deque is ~760 B, and most channels get none.
        self._mailbox: deque[tuple[int, Any]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._draining = False
        self._joined = False
        self._pending_pushes: list[tuple[str, Any]] = []
        self._exit_hooks: list[Callable[[], None]] | None = None
        self._subscriptions: dict[str, Forwarder] | None = None
        self.stopped = False
        self.leaving = False
        """The client asked to leave; the leave is queued behind the channel's other work."""

    @property
    def topic(self) -> str:
        return self.socket.topic

    @property
    def join_ref(self) -> str | None:
        return self.socket.join_ref

    # outbound --------------------------------------------------------------------------------
    def push(self, event: str, payload: Any) -> None:
        if self.stopped:
            return
        if not self._joined:
            # The join reply goes first; pushes made during join wait for it.
            self._pending_pushes.append((event, payload))
            return
        conn = self.connection
        conn.send(conn.serializer.encode_push(self.join_ref, self.topic, event, payload))

    def deliver(self, message: Broadcast) -> None:
        """A broadcast on this topic: straight to the transport, encoded once per serializer."""
        conn = self.connection
        if message.exclude is conn or self.stopped:
            return
        if message.event == INFO_EVENT:
            self.post_info(message.payload)
            return
        if message.event in self.channel.intercept:
            if len(self._mailbox or ()) >= conn.settings.mailbox_size:
                # Overflow policy "disconnect", as for the outbound queue: a channel that cannot
                # keep up with its intercepted broadcasts is not fed without bound; the client
                # reconnects and reloads.
                log.warning("liveui: mailbox of %r full, closing with 1013", self.topic,
                            extra={"liveui_topic": self.topic})
                conn.close(CloseCode.TRY_AGAIN, "channel mailbox full")
                return
            self._post(_OUT, message)
            return
        if not conn.closed:  # Connection.send, inlined: this runs once per subscriber
            serializer = conn.serializer
            conn.transport.send(message.frame(serializer, serializer.encode_broadcast))

    # inbound ---------------------------------------------------------------------------------
    def mark_joined(self) -> None:
        self._joined = True
        pending, self._pending_pushes = self._pending_pushes, []
        for event, payload in pending:
            self.push(event, payload)
        if self._mailbox:
            self._schedule()

    def post_in(self, message: Inbound) -> bool:
        """Queue a client push; False when the mailbox is full (the caller refuses it)."""
        if len(self._mailbox or ()) >= self.connection.settings.mailbox_size:
            return False
        self._post(_IN, message)
        return True

    def post_leave(self, message: Inbound) -> None:
        self.leaving = True
        self._post(_LEAVE, message)

    async def settle(self) -> None:
        """Wait until the mailbox work already queued (a leave, say) has run."""
        task = self._task
        if task is not None and task is not asyncio.current_task() and not task.done():
            await asyncio.wait([task])


    def post_info(self, message: Any) -> None:
        if len(self._mailbox or ()) >= self.connection.settings.mailbox_size:
            log.warning("liveui: mailbox of %r full, dropped an info message", self.topic)
            return
        self._post(_INFO, message)

    def _post(self, kind: int, item: Any) -> None:
        if self.stopped:
            return
        mailbox = self._mailbox
        if mailbox is None:
            mailbox = self._mailbox = deque()
        mailbox.append((kind, item))
        if self._joined:
            self._schedule()

    def _schedule(self) -> None:
        if not self._draining:
            self._draining = True
            self._task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while (mailbox := self._mailbox) and not self.stopped:
                kind, item = mailbox.popleft()
                try:
                    await self._handle(kind, item)
                except Exception:
                    event = item.event if isinstance(item, Inbound) else type(item).__name__
                    log.exception("liveui: channel %r crashed handling %r", self.topic, event)
                    await self.connection.crash_channel(self)
                    return
        finally:
            self._draining = False
            self._task = None

    async def _handle(self, kind: int, item: Any) -> None:
        channel, socket = self.channel, self.socket
        if kind == _IN:
            result = await maybe_await(channel.handle_in(item.event, item.payload, socket))
            await self._apply(result, item.ref)
        elif kind == _INFO and item == RESYNC:
            async with self.connection.endpoint.resync_limit:
                await maybe_await(channel.resync(socket))
        elif kind == _INFO:
            result = await maybe_await(channel.handle_info(item, socket))
            await self._apply(result, None)
        elif kind == _OUT:
            await maybe_await(channel.handle_out(item.event, item.payload, socket))
        else:
            self.connection.send_reply(self.join_ref, item.ref, self.topic, "ok", {})
            await self.connection.close_channel(self, "leave")

    async def _apply(self, result: Any, ref: str | None) -> None:
        if result is None:
            return
        if isinstance(result, Reply):
            if ref is not None:
                self.connection.send_reply(
                    self.join_ref, ref, self.topic, result.status, result.response
                )
            return
        if isinstance(result, Stop):
            if result.reply is not None and ref is not None:
                r = result.reply
                self.connection.send_reply(self.join_ref, ref, self.topic, r.status, r.response)
            await self.connection.close_channel(self, result.reason)
            return
        raise TypeError(
            f"a channel callback returned {result!r}; return ok(...), error(...), stop(...) or None"
        )

    # further topics ----------------------------------------------------------------------------
    def subscribe(self, topic: str) -> None:
        """Hear `topic` too (see `ChannelSocket.subscribe`); dropped when the channel ends."""
        subscriptions = self._subscriptions
        if subscriptions is None:
            subscriptions = self._subscriptions = {}
            self.on_exit(self._unsubscribe_all)
        if topic in subscriptions or self.stopped:
            return
        forwarder = subscriptions[topic] = Forwarder(self)
        self.connection.endpoint.hub.subscribe(topic, forwarder)

    def unsubscribe(self, topic: str) -> None:
        forwarder = (self._subscriptions or {}).pop(topic, None)
        if forwarder is not None:
            self.connection.endpoint.hub.unsubscribe(topic, forwarder)

    @property
    def subscriptions(self) -> list[str]:
        return list(self._subscriptions or ())

    def _unsubscribe_all(self) -> None:
        for topic in list(self._subscriptions or ()):
            self.unsubscribe(topic)

    def on_exit(self, hook: Callable[[], None]) -> None:
        """Run `hook()` once when this channel ends, however it ends (presence untracks, extra
        subscriptions are dropped); it must not block."""
        if self.stopped:
            hook()
        elif self._exit_hooks is None:
            self._exit_hooks = [hook]
        else:
            self._exit_hooks.append(hook)

    def abandon(self) -> None:
        """The join did not complete (refused, crashed, connection gone): undo its side effects
        without calling the channel's `terminate`."""
        self.stopped = True
        self._mailbox = None
        self._run_exit_hooks()

    def _run_exit_hooks(self) -> None:
        hooks, self._exit_hooks = self._exit_hooks, None
        for hook in hooks or ():
            try:
                hook()
            except Exception:
                log.exception("liveui: an exit hook of channel %r failed", self.topic)

    async def terminate(self, reason: str) -> None:
        """Stop taking messages and run the channel's `terminate`; errors there are only logged."""
        self.stopped = True
        self._mailbox = None
        self._run_exit_hooks()
        task = self._task
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        try:
            await maybe_await(self.channel.terminate(reason, self.socket))
        except Exception:
            log.exception("liveui: terminate of channel %r failed", self.topic)



class Forwarder:
    """Subscribes a channel to a further topic: its broadcasts reach `handle_info` as
    `Broadcast` objects, its `Endpoint.send_info` messages as they were sent."""

    __slots__ = ("process",)

    def __init__(self, process: ChannelProcess) -> None:
        self.process = process

    def deliver(self, message: Broadcast) -> None:
        process = self.process
        if message.exclude is process.connection or process.stopped:
            return
        process.post_info(message.payload if message.event == INFO_EVENT else message)
