"""The demo's JSON channel endpoint: `UserSocket` at /socket with the chat `RoomChannel`.

Chat presence contract: in `room:*` the presence key is the user id as a string, and each meta
(one per connection, so one per open tab) carries `online_at` and `username`.

Socket tokens carry the `AuthClaims` of a login: the /chat page's token is bound to the browser
login that rendered it (logging out ends the socket); `python -m demo token` mints one bound to
a login of its own, ended by "Log out everywhere" (`revoke_user`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from liveui import (
    AuthClaims,
    Channel,
    ChannelSocket,
    ConnectInfo,
    Presence,
    Revocations,
    Socket,
    SocketInfo,
    TokenError,
    channel,
    error,
    ok,
)

from .models import ChatMessage, User

__all__ = ["ROOM_MEMBERS", "RoomChannel", "UserSocket", "socket_token", "verify_socket_token"]

SOCKET_TOKEN_SALT = "user socket"
SOCKET_TOKEN_MAX_AGE = 86_400
MAX_BODY = 4000
HISTORY = 50

ROOM_MEMBERS: dict[str, frozenset[str]] = {"lobby": frozenset({"alice", "bob", "admin"})}
"""Who may join which chat room (carol is not in the lobby)."""


def socket_token(secret: str, login: AuthClaims) -> str:
    """A token for /socket, bound to `login`."""
    return Revocations.sign(secret, login, salt=SOCKET_TOKEN_SALT)


def verify_socket_token(revocations: Revocations, secret: str, token: str | None) -> AuthClaims:
    """The login of a genuine, unexpired, unrevoked token; a TokenError otherwise."""
    return revocations.verify(secret, token, max_age=SOCKET_TOKEN_MAX_AGE, salt=SOCKET_TOKEN_SALT)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds") + "Z"


def serialize_message(message: ChatMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "body": message.body,
        "user_id": str(message.user_id),
        "inserted_at": _iso(message.inserted_at),
    }


class RoomChannel(Channel):
    def __init__(self, presence: Presence | None = None) -> None:
        self.presence = presence

    async def join(self, topic: str, payload: Any, socket: ChannelSocket) -> Any:
        room = topic.split(":", 1)[1]
        if socket.assigns.get("username") not in ROOM_MEMBERS.get(room, frozenset()):
            return error({"reason": "unauthorized"})
        socket.assign(room=room)
        socket.send_info("history")
        return ok({"members": await self._members(socket, room)})

    async def handle_info(self, message: Any, socket: ChannelSocket) -> None:
        await self._push_history(socket)
        if self.presence is not None:
            online_at = _iso(datetime.now(UTC).replace(tzinfo=None))
            meta = {"online_at": online_at, "username": socket.assigns["username"]}
            self.presence.track(socket, str(socket.assigns["user_id"]), meta)
            socket.push("presence_state", self.presence.list(socket.topic))

    async def _push_history(self, socket: ChannelSocket) -> None:
        sessions = _sessions(socket)
        async with sessions() as session:
            rows = (
                await session.scalars(
                    select(ChatMessage)
                    .where(ChatMessage.room == socket.assigns["room"])
                    .order_by(ChatMessage.id.desc())
                    .limit(HISTORY)
                )
            ).all()
        socket.push("history", {"messages": [serialize_message(m) for m in reversed(rows)]})

    async def handle_in(self, event: str, payload: Any, socket: ChannelSocket) -> Any:
        if event == "new_msg":
            body = payload.get("body") if isinstance(payload, dict) else None
            if not isinstance(body, str) or not body.strip() or len(body) > MAX_BODY:
                return error({"reason": "invalid"})
            sessions = _sessions(socket)
            async with sessions() as session:
                message = ChatMessage(
                    room=socket.assigns["room"], user_id=int(socket.assigns["user_id"]), body=body
                )
                session.add(message)
                await session.commit()
            socket.broadcast("new_msg", serialize_message(message))
            return None
        if event == "typing":
            socket.broadcast_from("user_typing", {"user_id": socket.assigns["user_id"]})
            return ok({})
        if event == "ping":
            return ok({"pong": True})
        return await super().handle_in(event, payload, socket)

    async def _members(self, socket: ChannelSocket, room: str) -> dict[str, str]:
        async with _sessions(socket)() as session:
            users = await session.scalars(select(User).where(User.username.in_(ROOM_MEMBERS[room])))
            return {str(u.id): u.display_name for u in users}


def _sessions(socket: ChannelSocket) -> async_sessionmaker:  # type: ignore[type-arg]
    handler = socket.handler
    assert isinstance(handler, UserSocket)
    return handler.sessions


class UserSocket(Socket):
    """`connect` needs a token signed for a user id (param `token` or phoenix.js's authToken)."""

    def __init__(
        self,
        secret: str,
        sessions: async_sessionmaker,  # type: ignore[type-arg]
        channels: list[Any],
        revocations: Revocations,
    ) -> None:
        self.secret = secret
        self.sessions = sessions
        self.channels = channels
        self.revocations = revocations

    async def connect(
        self, params: dict[str, Any], connect_info: ConnectInfo
    ) -> dict[str, Any] | None:
        token = params.get("token") or connect_info.auth_token
        try:
            login = verify_socket_token(
                self.revocations, self.secret, token if isinstance(token, str) else None
            )
        except TokenError:
            return None
        if not login.user_key.isdigit() or len(login.user_key) > 18:
            return None
        async with self.sessions() as session:
            user = await session.get(User, int(login.user_key))
        if user is None:
            return None
        # "auth": the endpoint closes this connection when the login is revoked.
        return {
            "user_id": str(user.id),
            "username": user.username,
            "is_admin": user.is_admin,
            "auth": login,
        }

    def id(self, socket: SocketInfo) -> str | None:
        return f"users_socket:{socket.assigns['user_id']}"


def default_channels(
    user_channel: type[Channel] | None = None,
    *,
    presence: Presence | None = None,
    **user_channel_options: Any,
) -> list[Any]:
    """The chat rooms (with "who is online" when given a `presence`), and `user:*` served by
    `user_channel(**user_channel_options)`."""
    routes = [channel("room:*", RoomChannel, presence=presence)]
    if user_channel is not None:
        routes.append(channel("user:*", user_channel, **user_channel_options))
    return routes
