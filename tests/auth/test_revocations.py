"""Revocation sticks: a revoked login's live streams and sockets end within 2 s, on this node and
on others, its tokens are refused afterwards (also after a restart), and other logins of the same
user stay connected until `revoke_user`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from liveui import AuthClaims, Node, Revocation, Revocations, SqlRevocationStore, TokenRevoked
from liveui.dispatch.urls import async_url
from liveui.testing import LiveServer, serve
from tests.support.phoenix_wire import join_frame

from .secure_app import TOPIC, SecureApp, build, on_loop

DEADLINE = 2.0  # seconds: the promise for a logout to reach every stream


async def open_sse(client: httpx.AsyncClient, app: SecureApp, login: AuthClaims) -> Any:
    params = {"token": app.live_token(login), "c": app.specs()}
    stream = client.stream("GET", "/liveui/sse", params=params)
    response = await stream.__aenter__()
    assert response.status_code == 200
    return stream, response


async def stream_ends_within(lines: AsyncIterator[str], seconds: float) -> str:
    """Read the SSE stream until the server ends it; returns the last line read."""
    last = ""
    async with asyncio.timeout(seconds):
        async for line in lines:
            last = line or last
    return last


async def closed_within(ws: websockets.ClientConnection, seconds: float) -> int | None:
    async with asyncio.timeout(seconds):
        await ws.wait_closed()
    return ws.close_code


async def refused(url: str, **kwargs: object) -> int:
    with pytest.raises(InvalidStatus) as info:
        async with websockets.connect(url, **kwargs):  # type: ignore[arg-type]
            pass
    return info.value.response.status_code


@pytest.fixture
async def served() -> AsyncIterator[tuple[SecureApp, LiveServer]]:
    app = build()
    with serve(app.app, timeout_graceful_shutdown=1) as server:
        yield app, server


async def test_logout_ends_that_login_everywhere_and_only_that_login(
    served: tuple[SecureApp, LiveServer],
) -> None:
    app, server = served
    revocations = app.revocations
    laptop, phone = revocations.login("7"), revocations.login("7")
    ws_base = server.ws_url
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        sse_stream, sse = await open_sse(client, app, laptop)
        other_stream, other = await open_sse(client, app, phone)
        live_ws = await websockets.connect(
            f"{ws_base}/liveui/ws?token={app.live_token(laptop)}&c={app.specs()}"
        )
        sock = await websockets.connect(
            f"{ws_base}/socket/websocket?vsn=2.0.0&token={app.socket_token(laptop)}"
        )
        await sock.send(join_frame("room:a"))
        assert '"ok"' in str(await asyncio.wait_for(sock.recv(), 5))
        phone_sock = await websockets.connect(
            f"{ws_base}/socket/websocket?vsn=2.0.0&token={app.socket_token(phone)}"
        )
        try:
            started = time.monotonic()
            on_loop(app.node, revocations.revoke_session(laptop))
            assert "logged out" in await stream_ends_within(sse.aiter_lines(), DEADLINE)
            assert await closed_within(live_ws, DEADLINE) == 1008
            assert await closed_within(sock, DEADLINE) == 1008
            assert time.monotonic() - started < DEADLINE + 0.5
            # The phone's login is untouched: its stream still gets broadcasts, its socket works.
            app.node.broadcast(TOPIC, "tick", 41)
            other_lines = other.aiter_lines()
            async with asyncio.timeout(5):
                async for line in other_lines:
                    if ">41</i>" in line:
                        break
            await phone_sock.send('["9","9","phoenix","heartbeat",{}]')
            assert '"ok"' in str(await asyncio.wait_for(phone_sock.recv(), 5))

            # The laptop's tokens are refused at every door from now on.
            params = {"token": app.live_token(laptop), "c": app.specs()}
            assert (await client.get("/liveui/sse", params=params)).status_code == 403
            action = await client.post(
                "/liveui/event",
                data={"event": "bump", "spec": '{"c":"auth_test_ticker","p":{}}', "n": "1"},
                headers={"X-LiveUI-Token": app.live_token(laptop)},
            )
            assert action.status_code == 403 and "revoked" in action.text
            live_url = f"{ws_base}/liveui/ws?token={app.live_token(laptop)}&c={app.specs()}"
            assert await refused(live_url) == 403
            sock_url = f"{ws_base}/socket/websocket?vsn=2.0.0&token={app.socket_token(laptop)}"
            assert await refused(sock_url) == 403

            # "Log out everywhere" ends the phone too, and logins made afterwards work.
            on_loop(app.node, revocations.revoke_user("7"))
            await stream_ends_within(other_lines, DEADLINE)
            assert await closed_within(phone_sock, DEADLINE) == 1008
            fresh = revocations.login("7")
            _, again = await open_sse(client, app, fresh)
            assert again.status_code == 200
        finally:
            await live_ws.close()
            await sock.close()
            await phone_sock.close()
            await sse_stream.__aexit__(None, None, None)
            await other_stream.__aexit__(None, None, None)


async def test_force_logout_by_socket_id_sticks(served: tuple[SecureApp, LiveServer]) -> None:
    app, server = served
    login = app.revocations.login("8")
    url = f"{server.ws_url}/socket/websocket?vsn=2.0.0&token={app.socket_token(login)}"
    sock = await websockets.connect(url)
    try:
        app.endpoint.disconnect("users_socket:8", revoke=True)
        assert await closed_within(sock, DEADLINE) == 1008
        assert await refused(url) == 403  # the same token cannot come back
    finally:
        await sock.close()
    # Without revoke it is Phoenix's disconnect: 1001, and the client may reconnect.
    other = app.revocations.login("8")
    url = f"{server.ws_url}/socket/websocket?vsn=2.0.0&token={app.socket_token(other)}"
    async with websockets.connect(url) as sock:
        app.endpoint.disconnect("users_socket:8")
        assert await closed_within(sock, DEADLINE) == 1001
    async with websockets.connect(url) as sock:
        assert sock.state.name == "OPEN"


async def test_revocations_survive_a_restart_in_the_database(tmp_path: Path) -> None:
    """Stored first, then broadcast: a node started later (or restarted) refuses old tokens."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(async_url(f"sqlite:///{tmp_path / 'auth.db'}"))
    try:
        first = Node(revocations=Revocations(SqlRevocationStore(engine)))
        await first.start()
        logout, other, cli = (first.revocations.login(u) for u in ("1", "1", "2"))
        await first.revocations.revoke_session(logout)
        await first.revocations.revoke_user("2")
        await first.stop()

        second = Node(revocations=Revocations(SqlRevocationStore(engine)))
        await second.start()
        try:
            revocations = second.revocations
            assert revocations.is_revoked(logout)
            assert not revocations.is_revoked(other)
            assert revocations.is_revoked(cli)  # a token minted before revoke_user
            assert not revocations.is_revoked(revocations.login("2"))
            with pytest.raises(TokenRevoked):
                revocations.verify(
                    "s" * 32, Revocations.sign("s" * 32, logout, salt="x"), max_age=60, salt="x"
                )
            assert await revocations.revoke_user("2") == 2  # epochs move on, never back
        finally:
            await second.stop()
    finally:
        await engine.dispose()


async def test_logouts_of_one_user_are_compacted_past_the_bound(tmp_path: Path) -> None:
    """300 login/logout cycles once added 300 rows; past `max_sessions_per_user` a logout is a
    `revoke_user` instead (one epoch, no row), which ends the user's other logins too."""
    from sqlalchemy import func, select
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(async_url(f"sqlite:///{tmp_path / 'auth.db'}"))
    store = SqlRevocationStore(engine)
    node = Node(revocations=Revocations(store, max_sessions_per_user=5))
    await node.start()
    try:
        revocations = node.revocations
        phone = revocations.login("7")
        for _ in range(300):
            laptop = revocations.login("7")
            await revocations.revoke_session(laptop)
            assert revocations.is_revoked(laptop)
        async with engine.connect() as conn:
            rows = await conn.scalar(select(func.count()).select_from(store.sessions))
        assert rows == 5
        assert revocations.is_revoked(phone)  # compaction logged the user out everywhere
        assert revocations.epoch("7") > 0
        other_user = revocations.login("8")
        await revocations.revoke_session(other_user)  # another user's bound is their own
        async with engine.connect() as conn:
            rows = await conn.scalar(select(func.count()).select_from(store.sessions))
        assert rows == 6
        assert not revocations.is_revoked(revocations.login("7"))  # new logins work
    finally:
        await node.stop()
        await engine.dispose()


async def test_a_token_outliving_its_revocation_is_a_configuration_error() -> None:
    from liveui import ConfigurationError, LiveSettings, LiveUI

    node = Node(revocations=Revocations(retain=3600))
    with pytest.raises(ConfigurationError, match="token_max_age"):
        LiveUI(node=node, secret_key="x" * 32, get_user_id=lambda r: None)
    LiveUI(
        node=node,
        secret_key="x" * 32,
        get_user_id=lambda r: None,
        settings=LiveSettings(token_max_age=3600),
    )


@pytest.mark.redis
async def test_a_revocation_reaches_another_node_over_pubsub(
    redis_url: str, postgres_url: str
) -> None:
    """Two nodes on Redis sharing a PostgreSQL store: node B hears node A's logout at once."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(async_url(postgres_url))
    prefix = f"t{int(time.time() * 1000) % 10**9}_"
    store_a, store_b = (SqlRevocationStore(engine, table_prefix=prefix) for _ in range(2))
    a = Node(pubsub_url=redis_url, revocations=Revocations(store_a))
    b = Node(pubsub_url=redis_url, revocations=Revocations(store_b))
    heard: list[Revocation] = []
    arrived = asyncio.Event()

    def listener(revocation: Revocation) -> None:
        heard.append(revocation)
        arrived.set()

    await a.start()
    await b.start()
    try:
        b.revocations.on_revoke(listener)
        login = b.revocations.login("42")
        await asyncio.sleep(0.2)  # both subscriptions reach Redis (no event says so)
        await a.revocations.revoke_session(login)
        async with asyncio.timeout(DEADLINE):
            await arrived.wait()
        assert heard[0].covers(login) and b.revocations.is_revoked(login)
        arrived.clear()
        await a.revocations.revoke_user("42")
        async with asyncio.timeout(DEADLINE):
            await arrived.wait()
        assert b.revocations.epoch("42") == 1
    finally:
        await a.stop()
        await b.stop()
        async with engine.begin() as conn:
            await conn.run_sync(store_a.metadata.drop_all)
        await engine.dispose()
