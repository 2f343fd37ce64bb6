"""The server side of the compatibility suite: a socket and channels built for each scenario.

Everything the server sees (connect attempts, joins, pushes, channel endings) is written to a
`Recorder`, so a test can assert what reached the server as well as what the client observed.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount

from liveui import (
    Channel,
    ChannelSettings,
    ChannelSocket,
    ConnectInfo,
    Endpoint,
    Node,
    Presence,
    Socket,
    SocketInfo,
    TokenError,
    channel,
    error,
    ok,
    reply,
    stop,
)
from liveui.testing import LiveServer
from liveui.tokens import sign, verify

SECRET = "compat-suite-secret"
TOKEN_MAX_AGE = 3600.0
ALLOWED_ORIGIN = "http://allowed.example"


def token_for(user_id: str) -> str:
    return sign(SECRET, {"user_id": user_id})


def expired_token_for(user_id: str) -> str:
    """A genuine token, signed twice its max age ago."""
    return sign(SECRET, {"user_id": user_id}, issued_at=time.time() - 2 * TOKEN_MAX_AGE)


class Recorder:
    """A thread-safe log of server-side events that tests can wait on."""

    def __init__(self) -> None:
        self._events: list[dict[str, Any]] = []
        self._cond = threading.Condition()

    def add(self, kind: str, **data: Any) -> None:
        with self._cond:
            self._events.append({"kind": kind, **data})
            self._cond.notify_all()

    def all(self, kind: str, **match: Any) -> list[dict[str, Any]]:
        with self._cond:
            return [e for e in self._events if _matches(e, kind, match)]

    def wait(
        self, kind: str, timeout: float = 5.0, count: int = 1, **match: Any
    ) -> list[dict[str, Any]]:
        """Block until `count` events of `kind` matching `match` were recorded; return them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [e for e in self._events if _matches(e, kind, match)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"server never recorded {count} x {kind} {match}; got {found}"
                    )
                self._cond.wait(left)


def _matches(event: dict[str, Any], kind: str, match: dict[str, Any]) -> bool:
    return event["kind"] == kind and all(event.get(k) == v for k, v in match.items())


class RoomChannel(Channel):
    """`room:*`: one handler per scenario, selected by the pushed event's name."""

    intercept = ()
    recorder: Recorder
    slow_joins_done: set[str]

    async def join(self, topic: str, payload: Any, socket: ChannelSocket) -> Any:
        self.recorder.add(
            "join",
            topic=topic,
            join_ref=socket.join_ref,
            payload=payload,
            user_id=socket.assigns.get("user_id"),
            vsn=socket.connection.serializer.vsn,
        )
        if payload.get("refuse"):
            return error({"reason": "refused", "topic": topic})
        if payload.get("crash"):
            raise RuntimeError("join crashed on purpose")
        delay = payload.get("delay_first")
        if delay and topic not in self.slow_joins_done:
            self.slow_joins_done.add(topic)
            await asyncio.sleep(delay)  # longer than the client's join timeout
        if payload.get("welcome"):
            socket.push("during_join", {"topic": topic})  # held until the join reply is out
            socket.send_info("welcome")
        return ok({"joined": topic, "user_id": socket.assigns.get("user_id")})

    async def handle_info(self, message: Any, socket: ChannelSocket) -> None:
        socket.push("welcome", {"topic": socket.topic})

    async def handle_in(self, event: str, payload: Any, socket: ChannelSocket) -> Any:
        marker = payload.get("marker") if isinstance(payload, dict) else None
        self.recorder.add(
            "push", topic=socket.topic, event=event, join_ref=socket.join_ref, marker=marker
        )
        handler = HANDLERS.get(event)
        if handler is None:
            return await super().handle_in(event, payload, socket)
        return handler(payload, socket)

    async def terminate(self, reason: str, socket: ChannelSocket) -> None:
        self.recorder.add("terminate", topic=socket.topic, join_ref=socket.join_ref, reason=reason)


def _crash(payload: Any, socket: ChannelSocket) -> Any:
    raise RuntimeError("handle_in crashed on purpose")


def _push_me(payload: Any, socket: ChannelSocket) -> Any:
    socket.push("pushed", payload)
    return ok({"queued": True})


def _shout(payload: Any, socket: ChannelSocket) -> Any:
    socket.broadcast("shout", payload)
    return ok()


def _shout_from(payload: Any, socket: ChannelSocket) -> Any:
    socket.broadcast_from("shout_from", payload)
    return ok()


def _binary(payload: Any, socket: ChannelSocket) -> Any:
    data = bytes(payload)
    socket.push("bin_pushed", data + b"!")
    socket.broadcast("bin_broadcast", b"all:" + data)
    return ok(data[::-1])


HANDLERS: dict[str, Callable[[Any, ChannelSocket], Any]] = {
    "echo": lambda payload, socket: ok(payload),
    "fail": lambda payload, socket: error({"reason": "nope"}),
    "custom_status": lambda payload, socket: reply("accepted"),
    "noreply": lambda payload, socket: None,
    "crash": _crash,
    "stop": lambda payload, socket: stop("normal", ok({"bye": True})),
    "push_me": _push_me,
    "shout": _shout,
    "shout_from": _shout_from,
    "binary": _binary,
}


class PrivateChannel(Channel):
    """`private:<user_id>`: only that user may join."""

    async def join(self, topic: str, payload: Any, socket: ChannelSocket) -> Any:
        if topic != f"private:{socket.assigns.get('user_id')}":
            return error({"reason": "unauthorized"})
        return ok({"private": topic})


class OpenChannel(Channel):
    """`many:*`: joins always succeed (to count channels per connection)."""

    async def join(self, topic: str, payload: Any, socket: ChannelSocket) -> Any:
        return ok()


class LobbyChannel(Channel):
    """`lobby:*`: presence as Phoenix apps do it — after the join, track the user (the key is
    the user id, a meta per connection) and push the topic's `presence_state`."""

    def __init__(self, presence: Presence) -> None:
        self.presence = presence

    async def join(self, topic: str, payload: Any, socket: ChannelSocket) -> Any:
        socket.send_info("after_join")
        return ok()

    async def handle_info(self, message: Any, socket: ChannelSocket) -> None:
        meta = {"user": socket.assigns["user_id"], "tab": socket.assigns.get("tab")}
        self.presence.track(socket, socket.assigns["user_id"], meta)
        socket.push("presence_state", self.presence.list(socket.topic))

    async def handle_in(self, event: str, payload: Any, socket: ChannelSocket) -> Any:
        if event == "status":
            self.presence.update(socket, socket.assigns["user_id"], {"status": payload["status"]})
            return ok()
        return error({"reason": "unknown event"})


class CompatSocket(Socket):
    """Authenticates with a liveui token from `params.token` or phoenix.js's `authToken`."""

    channels = [
        channel("room:*", RoomChannel),
        channel("private:*", PrivateChannel),
        channel("many:*", OpenChannel),
    ]

    def __init__(
        self, recorder: Recorder, revoked: set[str], presence: Presence | None = None
    ) -> None:
        self.recorder = recorder
        self.revoked = revoked
        # Each app gets its own RoomChannel class, bound to its recorder.
        room = type("RoomChannel", (RoomChannel,), {"recorder": recorder, "slow_joins_done": set()})
        self.channels = [channel("room:*", room), *self.channels[1:]]  # type: ignore[misc]
        if presence is not None:
            self.channels.append(channel("lobby:*", LobbyChannel, presence=presence))

    async def connect(
        self, params: dict[str, Any], connect_info: ConnectInfo
    ) -> dict[str, Any] | None:
        token = params.get("token") or connect_info.auth_token
        try:
            data = verify(SECRET, token, max_age=TOKEN_MAX_AGE)
        except TokenError as exc:
            self.recorder.add(
                "refused", reason=exc.reason, params=params, auth_token=connect_info.auth_token
            )
            return None
        user_id = data["user_id"]
        if user_id in self.revoked:
            self.recorder.add("refused", reason="revoked", user_id=user_id, params=params)
            return None
        self.recorder.add(
            "connect",
            user_id=user_id,
            params=params,
            auth_token=connect_info.auth_token,
            origin=connect_info.origin,
        )
        return {"user_id": user_id, "tab": params.get("tab")}

    def id(self, socket: SocketInfo) -> str | None:
        return f"users_socket:{socket.assigns['user_id']}"


class SwallowUpgrades:
    """A proxy that breaks WebSockets: upgrades are never answered; plain HTTP gets through."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            while (await receive())["type"] != "websocket.disconnect":
                pass
            return
        await self.app(scope, receive, send)


class CompatApp:
    """One Starlette app with three endpoints whose settings differ per scenario group.

    - `/socket`: default limits (100 channels, 1 MiB frames, 60 s idle timeout);
    - `/idle`: idle timeout 1 s checked every 0.05 s, for the heartbeat cases;
    - `/origin`: only `ALLOWED_ORIGIN` may connect;
    - `/lp`: long-poll window 0.3 s, sessions expire after 0.6 s unpolled, 20 frames buffered,
      presence on `lobby:*` as on `/socket`;
    - `/blocked`: `/socket` behind a proxy that swallows WebSocket upgrades;
    - `/wsonly` and `/lponly`: `/socket` mounted with `longpoll=False`, `websocket=False`.
    """

    def __init__(self) -> None:
        self.recorder = Recorder()
        self.revoked: set[str] = set()
        self.endpoint = Endpoint()
        self.idle_endpoint = Endpoint(
            Node(tick_interval=0.05), settings=ChannelSettings(idle_timeout=1.0)
        )
        self.origin_endpoint = Endpoint(settings=ChannelSettings(check_origin=[ALLOWED_ORIGIN]))
        self.longpoll_endpoint = Endpoint(
            Node(tick_interval=0.05),
            settings=ChannelSettings(
                longpoll_window=0.3, longpoll_session_timeout=0.6, outbound_queue_size=20
            ),
        )
        self.presence = Presence(self.endpoint.node)
        handler = CompatSocket(self.recorder, self.revoked)
        main = CompatSocket(self.recorder, self.revoked, self.presence)
        longpoll = CompatSocket(self.recorder, self.revoked, Presence(self.longpoll_endpoint.node))
        self.app = Starlette(
            routes=[
                self.endpoint.mount("/socket", main),
                self.idle_endpoint.mount("/idle", handler),
                self.origin_endpoint.mount("/origin", handler),
                self.longpoll_endpoint.mount("/lp", longpoll),
                Mount("/blocked", app=SwallowUpgrades(self.endpoint.socket_app(main))),
                self.endpoint.mount("/wsonly", main, longpoll=False),
                self.endpoint.mount("/lponly", main, websocket=False),
            ],
            lifespan=self._lifespan,
        )

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: object) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for endpoint in (
                self.endpoint, self.idle_endpoint, self.origin_endpoint, self.longpoll_endpoint
            ):
                await stack.enter_async_context(endpoint.node.lifespan())
            yield


@dataclass
class Compat:
    app: CompatApp
    server: LiveServer

    def url(self, mount: str = "/socket") -> str:
        """What phoenix.js's `new Socket(url)` takes: it appends `/websocket?...&vsn=2.0.0`."""
        return f"{self.server.ws_url}{mount}"
