"""The backend contract, run over memory, Redis and PostgreSQL through the public interface."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from tests.pubsub.pubsub_helpers import ACROSS_NODES, BackendFactory, Inbox


async def test_a_subscriber_receives_what_is_published(
    make_backend: BackendFactory, channel_name: Callable[[], str]
) -> None:
    backend = await make_backend()
    inbox = Inbox()
    backend.set_handler(inbox)
    channel = channel_name()
    await backend.subscribe([channel])
    await backend.publish(channel, b'{"hello":"world"}')
    assert await inbox.wait_for(1) == [(channel, b'{"hello":"world"}')]


async def test_unsubscribed_channels_are_not_delivered(
    make_backend: BackendFactory, channel_name: Callable[[], str]
) -> None:
    backend = await make_backend()
    inbox = Inbox()
    backend.set_handler(inbox)
    gone, kept = channel_name(), channel_name()
    await backend.subscribe([gone, kept])
    await backend.unsubscribe([gone])
    await backend.publish(gone, b"not for you")
    await backend.publish(kept, b"marker")
    # `marker` was published after `gone`'s message on the same connection: once it arrived,
    # the other one would have too.
    assert await inbox.wait_for(1) == [(kept, b"marker")]


async def test_messages_of_one_channel_keep_their_order(
    make_backend: BackendFactory, channel_name: Callable[[], str]
) -> None:
    backend = await make_backend()
    inbox = Inbox()
    backend.set_handler(inbox)
    channel = channel_name()
    await backend.subscribe([channel])
    for i in range(50):
        await backend.publish(channel, b"one-%d" % i)
    await backend.publish_many([(channel, b"batch-%d" % i) for i in range(300)])
    expected = [b"one-%d" % i for i in range(50)] + [b"batch-%d" % i for i in range(300)]
    received = await inbox.wait_for(len(expected))
    assert [data for _, data in received] == expected


async def test_equal_messages_are_all_delivered(
    make_backend: BackendFactory, channel_name: Callable[[], str]
) -> None:
    backend = await make_backend()
    inbox = Inbox()
    backend.set_handler(inbox)
    channel = channel_name()
    await backend.subscribe([channel])
    await backend.publish_many([(channel, b"same")] * 3)
    await backend.publish(channel, b"end")
    received = await inbox.wait_for(4)
    assert [data for _, data in received] == [b"same", b"same", b"same", b"end"]


async def test_many_channels(
    make_backend: BackendFactory, channel_name: Callable[[], str]
) -> None:
    backend = await make_backend()
    inbox = Inbox()
    backend.set_handler(inbox)
    channels = [channel_name() for _ in range(200)]
    await backend.subscribe(channels)
    await backend.publish_many([(c, c.encode()) for c in channels])
    received = await inbox.wait_for(len(channels))
    assert sorted(received) == sorted((c, c.encode()) for c in channels)


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"x" * 100_000, id="100kB"),
        pytest.param(os.urandom(9000), id="binary"),
        pytest.param(b"nul\x00inside", id="nul"),
        pytest.param("é€😀".encode() * 3000, id="utf8-36kB"),
    ],
)
async def test_large_and_binary_payloads_arrive_intact(
    make_backend: BackendFactory, channel_name: Callable[[], str], payload: bytes
) -> None:
    backend = await make_backend()
    inbox = Inbox()
    backend.set_handler(inbox)
    channel = channel_name()
    await backend.subscribe([channel])
    await backend.publish_many([(channel, b"small-before"), (channel, payload),
                                (channel, b"small-after")])
    received = await inbox.wait_for(3)
    assert received == [(channel, b"small-before"), (channel, payload), (channel, b"small-after")]


async def test_long_channel_names(
    make_backend: BackendFactory, channel_name: Callable[[], str]
) -> None:
    backend = await make_backend()
    inbox = Inbox()
    backend.set_handler(inbox)
    long_channel = channel_name() + ":" + "ü" * 100  # beyond PostgreSQL's 63-byte identifiers
    await backend.subscribe([long_channel])
    await backend.publish(long_channel, b"far")
    assert await inbox.wait_for(1) == [(long_channel, b"far")]


@ACROSS_NODES
async def test_a_message_reaches_every_subscribed_instance_once(
    make_backend: BackendFactory, backend_kind: str, channel_name: Callable[[], str]
) -> None:
    a, b, c = await make_backend(), await make_backend(), await make_backend()
    inboxes = [Inbox(), Inbox(), Inbox()]
    for backend, inbox in zip((a, b, c), inboxes, strict=True):
        backend.set_handler(inbox)
    channel, other = channel_name(), channel_name()
    await a.subscribe([channel])
    await b.subscribe([channel])
    await c.subscribe([other])
    await a.publish(channel, b"one")
    await a.publish(channel, b"two")
    await a.publish(other, b"three")
    assert await inboxes[0].wait_for(2) == [(channel, b"one"), (channel, b"two")]
    assert await inboxes[1].wait_for(2) == [(channel, b"one"), (channel, b"two")]
    assert await inboxes[2].wait_for(1) == [(other, b"three")]
