"""Small channels and sockets shared by the channel tests."""

from __future__ import annotations

from typing import Any

from liveui import Channel, ChannelSocket, ConnectInfo, Socket, SocketInfo, channel, error, ok, stop


class EchoChannel(Channel):
    intercept = ("censored",)

    async def join(self, topic: str, payload: Any, socket: ChannelSocket) -> Any:
        if payload.get("deny"):
            return error({"reason": "denied"})
        if payload.get("crash"):
            raise RuntimeError("join exploded")
        socket.assign(room=topic.split(":", 1)[1])
        socket.push("pushed_during_join", {})
        socket.send_info({"after_join": True})
        return ok({"joined": topic})

    async def handle_info(self, message: Any, socket: ChannelSocket) -> None:
        socket.push("welcome", {"room": socket.assigns["room"]})

    async def handle_in(self, event: str, payload: Any, socket: ChannelSocket) -> Any:
        if event == "ping":
            return ok({"pong": True})
        if event == "status_only":
            return ok()
        if event == "fail":
            return error({"reason": "nope"})
        if event == "shout":
            socket.broadcast("shout", payload)
            return None
        if event == "whisper":
            socket.broadcast_from("whisper", payload)
            return None
        if event == "assign":
            socket.assign(**payload)
            return ok(dict(socket.assigns))
        if event == "crash":
            raise RuntimeError("handle_in exploded")
        if event == "stop":
            return stop("normal", ok({"bye": True}))
        if event == "binary":
            return ok(bytes(payload)[::-1])
        return await super().handle_in(event, payload, socket)

    async def handle_out(self, event: str, payload: Any, socket: ChannelSocket) -> None:
        socket.push(event, {"text": "***"})


class EchoSocket(Socket):
    channels = [channel("room:*", EchoChannel), channel("exact", EchoChannel)]

    async def connect(
        self, params: dict[str, Any], connect_info: ConnectInfo
    ) -> dict[str, Any] | None:
        if params.get("refuse"):
            return None
        return {"user": params.get("user", "anon"), "params": params}

    def id(self, socket: SocketInfo) -> str | None:
        return f"echo_socket:{socket.assigns['user']}"
