"""UserChannel test plumbing: a socket routing `user:*` to a dispatch, and clients of it."""

from __future__ import annotations

from typing import Any

from liveui import ConnectInfo, Dispatch, Endpoint, Socket, UserChannel, channel
from liveui.testing import SocketClient, connect

__all__ = ["AppUserChannel", "UserSocket", "client_for", "endpoint_of"]


class AppUserChannel(UserChannel):
    pass


class UserSocket(Socket):
    def __init__(self, dispatch: Dispatch, channel_cls: type[UserChannel] = AppUserChannel) -> None:
        self.channels = [channel("user:*", channel_cls, dispatch=dispatch)]

    async def connect(self, params: dict[str, Any], connect_info: ConnectInfo) -> dict[str, Any]:
        return {"user_id": params["user_id"]}


def endpoint_of(dispatch: Dispatch) -> Endpoint:
    [endpoint] = dispatch.node.parts(Endpoint)
    return endpoint


async def client_for(
    dispatch: Dispatch, user_id: Any, socket: Socket | None = None
) -> SocketClient:
    return await connect(
        socket or UserSocket(dispatch), {"user_id": user_id}, endpoint=endpoint_of(dispatch)
    )
