"""`UserChannel` with the real phoenix.js client while its database fails: the client's push is
answered `{"reason": "failed"}` (not left to its timeout), and the channel stays joined."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker
from starlette.applications import Starlette

from liveui import Dispatch, Endpoint, Node
from liveui.testing import LiveServer, serve
from tests.channels.user_channels import UserSocket
from tests.support.dispatch_schema import Schema, make_schema, settings_for

from .bridge import PhoenixClient

pytestmark = pytest.mark.compat

NOTE = str(uuid.uuid4())


@contextlib.contextmanager
def _user_channel_server(schema: Schema, db: Path) -> Iterator[tuple[LiveServer, Any]]:
    engine = create_engine(f"sqlite:///{db}")
    schema.Base.metadata.create_all(engine)
    node = Node()
    endpoint = Endpoint(node)
    dispatch = Dispatch(settings_for(schema), node=node, engine=engine)
    dispatch.install(sessionmaker(engine))

    @contextlib.asynccontextmanager
    async def lifespan(app: object) -> AsyncIterator[None]:
        async with node.lifespan():
            yield

    app = Starlette(routes=[endpoint.mount("/socket", UserSocket(dispatch))], lifespan=lifespan)
    try:
        with serve(app) as server:
            yield server, engine
    finally:
        engine.dispose()


def test_a_failing_database_is_answered_failed_and_the_channel_stays(
    client: PhoenixClient, tmp_path: Path
) -> None:
    schema = make_schema()
    with _user_channel_server(schema, tmp_path / "user.db") as (server, engine):
        with sessionmaker(engine)() as s:
            s.add(schema.User(id=1))
            s.add(schema.Notification(id=NOTE, user_id=1, title="hello"))
            s.commit()
        client.open_socket("s", f"{server.ws_url}/socket", params={"user_id": "1"})
        client.joined("u", "s", "user:1")
        state = client.wait("chan_msg", channel="u", event="initial_state")["payload"]
        assert [n["id"] for n in state["notifications"]] == [NOTE]
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {schema.Notification.__tablename__}"))

        read = client.call("u", "mark_notification_read", {"id": NOTE}, timeout=3000)
        assert (read["status"], read["response"]) == ("error", {"reason": "failed"})
        every = client.call("u", "mark_all_notifications_read", {}, timeout=3000)
        assert every["status"] == "error"
        assert every["response"] == {"reason": "failed", "details": "OperationalError"}
        refresh = client.call("u", "refresh_counters", {}, timeout=3000)
        assert refresh["status"] == "ok"  # the other counters still load
        assert "unread_notifications" not in refresh["response"]["counters"]
        assert not client.all("chan_msg", channel="u", event="phx_error")
        assert not client.all("chan_error", channel="u")
