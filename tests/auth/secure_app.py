"""A small app with every door liveui opens — live SSE, live WebSocket, live actions and a
channel socket whose tokens carry `AuthClaims` — for the revocation, origin and bounds tests."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware

from liveui import (
    AuthClaims,
    Broadcast,
    Channel,
    ChannelSocket,
    ConnectInfo,
    Endpoint,
    EventRejected,
    LiveComponent,
    LiveSettings,
    LiveUI,
    Node,
    RequestSizeLimit,
    Revocations,
    Socket,
    SocketInfo,
    TokenError,
    channel,
    ok,
)
from liveui.live.specs import encode_specs

__all__ = ["SECRET", "SOCKET_SALT", "SecureApp", "build", "on_loop"]

SECRET = "auth-tests-secret-of-at-least-32-characters"
SOCKET_SALT = "auth-test socket"
TOPIC = "auth-test"
T = TypeVar("T")


class Ticker(LiveComponent):
    """Shows the last value broadcast on `auth-test`; `bump` sets it from an action."""

    name = "auth_test_ticker"
    template = "ticker.html"

    async def mount(self, ctx: Any) -> None:
        self.state.setdefault("n", 0)

    def topics(self, user_id: Any) -> list[str]:
        return [TOPIC]

    async def authorize(self, ctx: Any) -> bool:
        return True  # the test topic is every user's to read

    def handle_info(self, message: Broadcast) -> bool:
        self.state = {"n": message.payload}
        return True

    async def handle_event(self, event: str, data: Any, ctx: Any) -> None:
        if event != "bump":
            raise EventRejected(400, "unknown event")
        n = data.get("n", "0")
        if not isinstance(n, str) or not n.isascii() or not n.isdigit() or len(n) > 9:
            raise EventRejected(400, "n must be a small number")
        self.state = {"n": int(n)}


class EchoChannel(Channel):
    async def join(self, topic: str, payload: Any, socket: ChannelSocket) -> Any:
        return ok({})

    async def handle_in(self, event: str, payload: Any, socket: ChannelSocket) -> Any:
        return ok(payload)


class AuthSocket(Socket):
    channels = [channel("room:*", EchoChannel)]

    def __init__(self, revocations: Revocations) -> None:
        self.revocations = revocations

    async def connect(self, params: dict[str, Any], info: ConnectInfo) -> dict[str, Any] | None:
        token = params.get("token")
        try:
            login = self.revocations.verify(
                SECRET, token if isinstance(token, str) else None, max_age=3600, salt=SOCKET_SALT
            )
        except TokenError:
            return None
        return {"user_id": login.user_key, "auth": login}

    def id(self, socket: SocketInfo) -> str | None:
        return f"users_socket:{socket.assigns['user_id']}"


@dataclass
class SecureApp:
    app: Starlette
    node: Node
    live: LiveUI
    endpoint: Endpoint

    @property
    def revocations(self) -> Revocations:
        return self.node.revocations

    def live_token(self, login: AuthClaims) -> str:
        return self.live.tokens.make(login)[1]

    @staticmethod
    def socket_token(login: AuthClaims) -> str:
        return Revocations.sign(SECRET, login, salt=SOCKET_SALT)

    @staticmethod
    def specs() -> str:
        return encode_specs([Ticker().spec()])


def build(
    node: Node | None = None, settings: LiveSettings | None = None, max_body: int = 64 * 1024
) -> SecureApp:
    node = node or Node()
    live = LiveUI(node=node, secret_key=SECRET, get_user_id=lambda r: None, settings=settings)
    template = '<i id="{{ id }}" {{ attrs }}>{{ state.n }}</i>'
    live.install_templates(jinja2.Environment(loader=jinja2.DictLoader({"ticker.html": template})))
    endpoint = Endpoint(node)
    socket = AuthSocket(node.revocations)
    app = Starlette(
        routes=[*live.routes(static=False), endpoint.mount("/socket", socket)],
        middleware=[Middleware(RequestSizeLimit, max_body=max_body)],
        lifespan=node.lifespan,
    )
    return SecureApp(app, node, live, endpoint)


def on_loop(node: Node, awaitable: Awaitable[T], timeout: float = 10.0) -> T:
    """Run `awaitable` on the node's event loop (the server's thread) and wait for it."""
    assert node.loop is not None

    async def run() -> T:
        return await awaitable

    return asyncio.run_coroutine_threadsafe(run(), node.loop).result(timeout)


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
