"""Backend outages: local delivery goes on, memory stays bounded, subscriptions come back and
the resync listeners run once.

Redis: a throwaway redis-server on a free port is stopped and restarted (never the shared one).
PostgreSQL: the backend's connections are killed with pg_terminate_backend.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from liveui.pubsub.hub import Hub
from tests.pubsub.pubsub_helpers import Probe, unique
from tests.support.redis_server import RedisServer
from tests.support.waiting import wait_until

OUTBOX = 50
BATCH = 16


async def _exchange(a: Hub, b: Hub, topic: str, on_b: Probe, event: str) -> None:
    """Broadcast from a until b receives it (b's subscription is live)."""
    await wait_until(lambda: _sent_and_seen(a, topic, on_b, event), None, 10.0,
                     lambda: f"{event!r} never crossed the backend")


def _sent_and_seen(a: Hub, topic: str, on_b: Probe, event: str) -> bool:
    if any(m.event == event for m in on_b.received):
        return True
    a.broadcast(topic, event, {})
    return False


async def test_redis_outage(redis_server: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    from liveui.pubsub.backends.redis import RedisBackend

    caplog.set_level(logging.WARNING, logger="liveui.pubsub")
    a = Hub(RedisBackend(redis_server.url, retry_max=0.2), publish_queue_size=OUTBOX,
            publish_batch_size=BATCH, retry_max=0.2)
    b = Hub(RedisBackend(redis_server.url, retry_max=0.2), retry_max=0.2)
    resyncs = {"a": 0, "b": 0}
    a.on_resync(lambda: resyncs.__setitem__("a", resyncs["a"] + 1))
    b.on_resync(lambda: resyncs.__setitem__("b", resyncs["b"] + 1))
    topic = unique("room:")
    on_a, on_b = Probe(), Probe()
    a.subscribe(topic, on_a)
    b.subscribe(topic, on_b)
    await a.start()
    await b.start()
    try:
        await _exchange(a, b, topic, on_b, "before")

        redis_server.stop()
        on_a.received.clear()
        for i in range(2_000):
            a.broadcast(topic, "during", {"i": i})
            if i % 100 == 0:
                await asyncio.sleep(0.01)  # let the publisher fail and retry meanwhile
        # Local delivery never depended on Redis, and the outbox stayed within its bound.
        assert len(on_a.received) == 2_000
        assert a.pending_publishes <= OUTBOX + BATCH
        assert a.dropped_publishes >= 2_000 - OUTBOX - BATCH

        redis_server.start()
        await wait_until(lambda: resyncs["a"] >= 1 and resyncs["b"] >= 1, None, 10.0,
                         lambda: f"resync listeners ran {resyncs}")
        # Both subscriptions are back: broadcasts cross in both directions again.
        await _exchange(a, b, topic, on_b, "after")
        await _exchange(b, a, topic, on_a, "after_from_b")
        assert resyncs["a"] == 1
        assert a.pending_publishes == 0
    finally:
        await a.stop()
        await b.stop()
    unavailable = [r.getMessage() for r in caplog.records if "unavailable" in r.getMessage()]
    # Logged once per outage and component, not once per failed message.
    assert sum("publishing" in m for m in unavailable) == 1
    assert sum("Redis pub/sub" in m for m in unavailable) == 2
    # The end of each outage is logged too, once per component, with the failures it counted.
    recovered = [r.getMessage() for r in caplog.records if "recovered after" in r.getMessage()]
    assert sum("publishing" in m for m in recovered) == 1, recovered
    assert sum("Redis pub/sub" in m for m in recovered) == 2, recovered


async def test_outbox_drops_make_the_other_node_resync_once(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Node a alone loses Redis (its ACL user is switched off; b's connection stays up), drops
    broadcasts, and once back sends one control message: b, which saw no outage of its own,
    resyncs exactly once because of it; a resyncs once for its own reconnect."""
    import redis.asyncio as redis

    from liveui.pubsub.backends.redis import RedisBackend

    caplog.set_level(logging.WARNING, logger="liveui.pubsub")
    admin = redis.Redis.from_url(redis_server.url)
    await admin.execute_command("ACL", "SETUSER", "node-a", "on", ">a-secret", "~*", "&*", "+@all")
    a_url = f"redis://node-a:a-secret@127.0.0.1:{redis_server.port}/0"
    a = Hub(RedisBackend(a_url, retry_max=0.2), publish_queue_size=OUTBOX,
            publish_batch_size=BATCH, retry_max=0.2)
    b = Hub(RedisBackend(redis_server.url, retry_max=0.2), retry_max=0.2)
    topic = unique("room:")
    on_a, on_b = Probe(), Probe()
    a.subscribe(topic, on_a)
    b.subscribe(topic, on_b)
    await a.start()
    await b.start()
    try:
        await _exchange(a, b, topic, on_b, "before")

        await admin.execute_command("ACL", "SETUSER", "node-a", "off")
        await admin.execute_command("CLIENT", "KILL", "USER", "node-a")
        for i in range(2_000):
            a.broadcast(topic, "during", {"i": i})
            if i % 100 == 0:
                await asyncio.sleep(0.01)  # let the publisher fail and retry meanwhile
        assert a.dropped_publishes >= 2_000 - OUTBOX - BATCH
        assert b.resync_count == 0

        await admin.execute_command("ACL", "SETUSER", "node-a", "on")
        await wait_until(lambda: a.resync_count >= 1 and b.resync_count >= 1, None, 10.0,
                         lambda: f"resyncs: a {a.resync_count}, b {b.resync_count}")
        await _exchange(a, b, topic, on_b, "after")
        await _exchange(b, a, topic, on_a, "after_from_b")
        assert (a.resync_count, b.resync_count) == (1, 1)
    finally:
        await a.stop()
        await b.stop()
        await admin.aclose()
    # One announcement: the control message itself must not push a broadcast out of the outbox.
    announced = [r.getMessage() for r in caplog.records if "by the outbox" in r.getMessage()]
    assert len(announced) == 1, announced


async def test_postgres_connections_killed(postgres_url: str) -> None:
    import asyncpg

    from liveui.pubsub.backends.postgres import PostgresBackend

    app_name = unique("liveui-test-")
    table = unique("liveui_pubsub_t")

    def backend() -> PostgresBackend:
        return PostgresBackend(postgres_url, table=table, application_name=app_name,
                               retry_max=0.2, health_check_interval=1.0)

    a, b = Hub(backend(), retry_max=0.2), Hub(backend(), retry_max=0.2)
    resyncs = {"a": 0, "b": 0}
    a.on_resync(lambda: resyncs.__setitem__("a", resyncs["a"] + 1))
    b.on_resync(lambda: resyncs.__setitem__("b", resyncs["b"] + 1))
    topic = unique("room:")
    on_a, on_b = Probe(), Probe()
    a.subscribe(topic, on_a)
    b.subscribe(topic, on_b)
    await a.start()
    await b.start()
    admin = await asyncpg.connect(postgres_url)
    try:
        await _exchange(a, b, topic, on_b, "before")
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = $1", app_name)
        assert killed == 3  # both listeners and a's publisher (b has not published yet)
        a.broadcast(topic, "during", {"big": "x" * 20_000})
        assert on_a.events[-1][0] == "during"
        await wait_until(lambda: resyncs["a"] >= 1 and resyncs["b"] >= 1, None, 10.0,
                         lambda: f"resync listeners ran {resyncs}")
        await _exchange(a, b, topic, on_b, "after")
        await _exchange(b, a, topic, on_a, "after_from_b")
        assert resyncs == {"a": 1, "b": 1}
    finally:
        await a.stop()
        await b.stop()
        with contextlib.suppress(Exception):
            await admin.execute(f"DROP TABLE IF EXISTS {table}")
        await admin.close()
