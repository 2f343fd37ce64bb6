"""The seed's chat contract: RoomChannel on room:*, behind UserSocket's token check."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from demo.db import make_async_engine, make_sessionmaker
from demo.models import Base, ChatMessage, User
from demo.seed import seed
from demo.sockets import UserSocket, default_channels, socket_token
from liveui import AuthClaims, Endpoint, Node, Presence, Revocations
from liveui.testing import ANY, ConnectRefused, JoinRefused, SocketClient, connect
from liveui.tokens import sign

SECRET = "test-secret-of-at-least-32-characters"


@pytest_asyncio.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_async_engine(f"sqlite:///{tmp_path / 'chat.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    factory = make_sessionmaker(engine)
    await seed(factory)
    yield factory
    await engine.dispose()


@pytest.fixture
def socket(sessions: async_sessionmaker[AsyncSession]) -> UserSocket:
    return UserSocket(SECRET, sessions, default_channels(None), Revocations())


async def user_id(sessions: async_sessionmaker[AsyncSession], name: str) -> int:
    async with sessions() as session:
        uid = await session.scalar(select(User.id).where(User.username == name))
    assert uid is not None
    return uid


async def login(
    socket: UserSocket, endpoint: Endpoint, sessions: async_sessionmaker[AsyncSession], name: str
) -> SocketClient:
    token = socket_token(SECRET, AuthClaims(await user_id(sessions, name), "chat-test", 0))
    return await connect(socket, {"token": token}, endpoint=endpoint)


async def test_connect_needs_a_valid_token(
    socket: UserSocket, channel_endpoint: Endpoint, sessions: async_sessionmaker[AsyncSession]
) -> None:
    for params in (
        {},
        {"token": "forged"},
        {"token": sign("other-secret", "1", salt="user socket")},
        {"token": 5},
    ):
        with pytest.raises(ConnectRefused):
            await connect(socket, params, endpoint=channel_endpoint)
    client = await login(socket, channel_endpoint, sessions, "alice")
    assert client.assigns["username"] == "alice"
    assert client.connection.socket_id == f"users_socket:{client.assigns['user_id']}"


async def test_members_join_and_get_history_oldest_first(
    socket: UserSocket, channel_endpoint: Endpoint, sessions: async_sessionmaker[AsyncSession]
) -> None:
    alice = await login(socket, channel_endpoint, sessions, "alice")
    lobby = await alice.join("room:lobby")
    history = await lobby.assert_push("history")
    bodies = [m["body"] for m in history["messages"]]
    assert bodies == ["Morning! Anyone seen the new dock?", "Yes, it shipped yesterday."]
    assert set(history["messages"][0]) == {"id", "body", "user_id", "inserted_at"}


async def test_carol_is_not_a_member(
    socket: UserSocket, channel_endpoint: Endpoint, sessions: async_sessionmaker[AsyncSession]
) -> None:
    carol = await login(socket, channel_endpoint, sessions, "carol")
    with pytest.raises(JoinRefused) as refused:
        await carol.join("room:lobby")
    assert refused.value.response == {"reason": "unauthorized"}


async def test_new_msg_is_stored_and_broadcast_to_everyone(
    socket: UserSocket, channel_endpoint: Endpoint, sessions: async_sessionmaker[AsyncSession]
) -> None:
    alice = await (await login(socket, channel_endpoint, sessions, "alice")).join("room:lobby")
    bob = await (await login(socket, channel_endpoint, sessions, "bob")).join("room:lobby")
    alice_id = str(await user_id(sessions, "alice"))
    ref = await alice.push("new_msg", {"body": "<b>hello</b>"})
    expected = {"id": ANY, "body": "<b>hello</b>", "user_id": alice_id, "inserted_at": ANY}
    await alice.assert_push("new_msg", expected)
    await bob.assert_push("new_msg", expected)
    # reply none: nothing comes back for that ref
    assert await alice.client.inbox.take(lambda f: f.ref == ref, 0.1) is None
    async with sessions() as session:
        assert (
            await session.scalar(
                select(func.count())
                .select_from(ChatMessage)
                .where(ChatMessage.body == "<b>hello</b>")
            )
            == 1
        )


@pytest.mark.parametrize(
    "payload", [{"body": ""}, {"body": "   "}, {"body": 42}, {}, {"body": "x" * 4001}, ["list"]]
)
async def test_invalid_messages_are_refused_and_not_stored(
    socket: UserSocket,
    channel_endpoint: Endpoint,
    sessions: async_sessionmaker[AsyncSession],
    payload: object,
) -> None:
    alice = await (await login(socket, channel_endpoint, sessions, "alice")).join("room:lobby")
    async with sessions() as session:
        before = await session.scalar(select(func.count()).select_from(ChatMessage))
    await alice.assert_reply(await alice.push("new_msg", payload), "error", {"reason": "invalid"})
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ChatMessage)) == before


async def test_longest_allowed_message(
    socket: UserSocket, channel_endpoint: Endpoint, sessions: async_sessionmaker[AsyncSession]
) -> None:
    alice = await (await login(socket, channel_endpoint, sessions, "alice")).join("room:lobby")
    await alice.push("new_msg", {"body": "y" * 4000})
    await alice.assert_push(
        "new_msg", {"id": ANY, "body": "y" * 4000, "user_id": ANY, "inserted_at": ANY}
    )


async def test_typing_goes_to_others_only_and_ping(
    socket: UserSocket, channel_endpoint: Endpoint, sessions: async_sessionmaker[AsyncSession]
) -> None:
    alice = await (await login(socket, channel_endpoint, sessions, "alice")).join("room:lobby")
    bob = await (await login(socket, channel_endpoint, sessions, "bob")).join("room:lobby")
    await alice.assert_reply(await alice.push("typing", {}), "ok", {})
    await bob.assert_push("user_typing", {"user_id": str(await user_id(sessions, "alice"))})
    await alice.refute_push("user_typing")
    await alice.assert_reply(await alice.push("ping", {}), "ok", {"pong": True})


async def test_presence_key_is_the_user_id_with_online_at_and_username(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    node = Node()
    endpoint = Endpoint(node)
    presence = Presence(node)
    channels = default_channels(None, presence=presence)
    socket = UserSocket(SECRET, sessions, channels, node.revocations)
    await node.start()
    try:
        alice = await login(socket, endpoint, sessions, "alice")
        lobby = await alice.join("room:lobby")
        await lobby.assert_push("history")
        alice_id = str(alice.assigns["user_id"])
        state = await lobby.assert_push("presence_state")
        assert state == {
            alice_id: {"metas": [{"online_at": ANY, "username": "alice", "phx_ref": ANY}]}
        }
        assert state[alice_id]["metas"][0]["online_at"].endswith("Z")
        bob = await login(socket, endpoint, sessions, "bob")
        await bob.join("room:lobby")
        bob_id = str(bob.assigns["user_id"])
        diff = await lobby.assert_push("presence_diff", {"joins": {bob_id: ANY}, "leaves": {}})
        assert diff["joins"][bob_id]["metas"][0]["username"] == "bob"
        await bob.close()
        await lobby.assert_push("presence_diff", {"joins": {}, "leaves": {bob_id: ANY}})
    finally:
        await node.stop()
