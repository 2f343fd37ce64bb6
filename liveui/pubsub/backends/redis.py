"""The Redis backend: PUBLISH/SUBSCRIBE through redis-py's asyncio client (`liveui[redis]`).

One connection subscribes (a reader task delivers what arrives), another publishes batches in a
pipeline, one round trip per batch. The reader owns reconnection: when its connection breaks it
retries with jittered backoff, subscribes again to every wanted channel, and only then reports
a gap, so the hub's resync listeners reload state that can no longer be missed.

A consumer that reads too slowly is cut off by Redis itself (`client-output-buffer-limit pubsub`,
32 MB by default): that is the bounded buffer of this backend, and it ends like any outage:
reconnect, then resync.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from ..._utils import stop_task
from ..backoff import Backoff, OutageLog
from ._driver import import_driver, redact
from .base import Backend, BackendUnavailable

__all__ = ["RedisBackend"]

log = logging.getLogger("liveui.pubsub")


class RedisBackend(Backend):
    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float = 2.0,
        command_timeout: float = 5.0,
        health_check_interval: float = 10.0,
        retry_initial: float = 0.05,
        retry_max: float = 5.0,
    ) -> None:
        super().__init__()
        redis_asyncio = import_driver("redis.asyncio", "redis", "Redis")
        retry_module = import_driver("redis.asyncio.retry", "redis", "Redis")
        backoff_module = import_driver("redis.backoff", "redis", "Redis")
        self._errors = _connection_errors()
        self.url = url
        # No retries inside redis-py: this backend and the hub decide when to try again.
        self._client: Any = redis_asyncio.Redis.from_url(
            url,
            retry=retry_module.Retry(backoff_module.NoBackoff(), 0),
            socket_connect_timeout=connect_timeout,
            socket_timeout=command_timeout,
            socket_keepalive=True,
            health_check_interval=health_check_interval,
        )
        self._channels: set[str] = set()
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._retry = (retry_initial, retry_max)
        self._poll = min(1.0, health_check_interval)

    async def start(self) -> None:
        if self._reader is not None:
            return
        first_attempt: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read(first_attempt), name="liveui-redis-reader")
        await first_attempt

    async def stop(self) -> None:
        reader, self._reader = self._reader, None
        await stop_task(reader)
        await self._close_pubsub()
        with contextlib.suppress(Exception):
            await self._client.aclose()

    async def subscribe(self, channels: list[str]) -> None:
        self._channels.update(channels)
        pubsub = self._pubsub
        if pubsub is not None:
            # A broken connection is the reader's to notice; it subscribes to all channels again.
            with contextlib.suppress(*self._errors):
                await pubsub.subscribe(*channels)

    async def unsubscribe(self, channels: list[str]) -> None:
        self._channels.difference_update(channels)
        pubsub = self._pubsub
        if pubsub is not None:
            with contextlib.suppress(*self._errors):
                await pubsub.unsubscribe(*channels)

    async def publish(self, channel: str, data: bytes) -> None:
        await self.publish_many([(channel, data)])

    async def publish_many(self, messages: Sequence[tuple[str, bytes]]) -> None:
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for channel, data in messages:
                    pipe.publish(channel, data)
                await pipe.execute()
        except self._errors as exc:
            raise BackendUnavailable(f"Redis at {redact(self.url)}: {exc}") from exc

    # the reader ------------------------------------------------------------------------------
    async def _read(self, first_attempt: asyncio.Future[None]) -> None:
        backoff = Backoff(*self._retry)
        outage = self.listen_outage = OutageLog(log, f"Redis pub/sub at {redact(self.url)}")
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.connect()
                self._pubsub = pubsub  # from here on, subscribe() talks to this connection too
                if self._channels:
                    await pubsub.subscribe(*self._channels)
                if not first_attempt.done():
                    first_attempt.set_result(None)
                if outage.recovered():
                    backoff.reset()
                    self._signal_gap()
                await self._receive(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not isinstance(exc, self._errors):
                    log.exception("liveui: Redis pub/sub reader failed; reconnecting")
                outage.failed(exc)
                await self._close_pubsub()
                if not first_attempt.done():
                    first_attempt.set_result(None)
                await asyncio.sleep(backoff.next_delay())

    async def _receive(self, pubsub: Any) -> None:
        wanted = self._channels
        deliver = self._deliver
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=self._poll)
            if message is None or message["type"] != "message":
                continue
            channel = message["channel"]
            if isinstance(channel, bytes):
                channel = channel.decode()
            if channel in wanted:  # an UNSUBSCRIBE may still be on its way to the server
                try:
                    deliver(channel, message["data"])
                except Exception:
                    log.exception("liveui: pub/sub handler failed on %r", channel)

    async def _close_pubsub(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.aclose()


def _connection_errors() -> tuple[type[BaseException], ...]:
    exceptions = import_driver("redis.exceptions", "redis", "Redis")
    return (exceptions.ConnectionError, exceptions.TimeoutError, OSError)
