"""Sessions: dedupe, replay from the buffer, resync when replay is impossible, bounds, expiry."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from liveui import Broadcast, LiveComponent, LiveSettings
from liveui.testing import live_harness


class Ticker(LiveComponent):
    """A custom component, written the way the docs tell users to."""

    name = "test_ticker"
    template = "ticker.html"

    async def mount(self, ctx: Any) -> None:
        self.state = {"n": self.params.get("start", 0)}

    def topics(self, user_id: Any) -> list[str]:
        return [f"ticks:{self.params.get('feed', 'main')}"]

    def authorize(self, ctx: Any) -> bool:
        return True  # a public test feed: every user may watch it

    def handle_info(self, message: Broadcast) -> bool:
        self.state = {"n": message.payload["n"]}
        return True


def _live_env(harness: Any) -> None:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.DictLoader({"ticker.html": '<b id="{{ id }}" {{ attrs }}>{{ state.n }}</b>'})
    )
    harness.live.install_templates(env)


async def test_custom_component_patches_and_dedupes() -> None:
    async with live_harness() as harness:
        _live_env(harness)
        ticker = Ticker(feed="a")
        tab = await harness.open(1, ticker, etags={ticker.id: Ticker(feed="a").etag()})
        harness.broadcast("ticks:a", "tick", {"n": 0})  # same HTML as shown: not sent
        harness.broadcast("ticks:a", "tick", {"n": 7})
        patch = await tab.next_patch()
        assert patch.text(ticker.id) == "7"
        assert tab.pending() == 0


async def test_reconnect_replays_what_was_missed() -> None:
    async with live_harness() as harness:
        _live_env(harness)
        ticker = Ticker()
        tab = await harness.open(1, ticker, session_id="s1", etags={ticker.id: Ticker().etag()})
        harness.broadcast("ticks:main", "tick", {"n": 1})
        seen = await tab.next_patch()
        tab.close()  # the tab's connection dropped; the session keeps buffering
        for n in (2, 3):
            harness.broadcast("ticks:main", "tick", {"n": n})
        again = await harness.open(1, Ticker(), session_id="s1", last_event_id=seen.event_id)
        replayed = await again.next_patch()
        # Coalesced: the element was replaced twice while away; only the latest is replayed.
        assert replayed.text(ticker.id) == "3"
        assert again.pending() == 0


async def test_unknown_or_foreign_event_id_gets_a_full_render() -> None:
    async with live_harness() as harness:
        _live_env(harness)
        tab = await harness.open(1, Ticker(start=5), session_id="s2")
        first = await tab.next_patch()
        assert first.text(Ticker(start=5).id) == "5"
        tab.close()
        again = await harness.open(1, Ticker(start=5), session_id="s2", last_event_id="zz-1")
        full = await again.next_patch()
        assert full.text(Ticker(start=5).id) == "5"
        assert full.event_id != first.event_id


async def test_replay_buffer_is_bounded() -> None:
    settings = LiveSettings(replay_buffer=3)
    async with live_harness(settings=settings) as harness:
        _live_env(harness)
        tabs = [Ticker(feed=f"x{i}", id=f"t{i}") for i in range(5)]
        tab = await harness.open(1, *tabs, session_id="s3", etags={t.id: t.etag() for t in tabs})
        marker = tab.connection.marker().event_id
        tab.close()
        for i in range(5):  # 5 patches (one per loop turn), 3 kept
            harness.broadcast(f"ticks:x{i}", "tick", {"n": 9})
            harness.flush()
        assert len(tab.session.outbox) == 3
        assert tab.session.outbox.parse(marker) is None  # too old: resync instead of replay


async def test_slow_client_is_disconnected_with_a_reason() -> None:
    settings = LiveSettings(max_pending=2)
    async with live_harness(settings=settings) as harness:
        _live_env(harness)
        tickers = [Ticker(feed=f"y{i}", id=f"k{i}") for i in range(4)]
        tab = await harness.open(1, *tickers, etags={t.id: t.etag() for t in tickers})
        for i in range(3):  # three patches (loop turns) waiting: one more than allowed
            harness.broadcast(f"ticks:y{i}", "tick", {"n": 1})
            harness.flush()
        assert tab.connection.closing == "slow client: too many patches pending"


async def test_detached_session_is_freed_after_the_grace_period() -> None:
    settings = LiveSettings(grace_period=5.0, heartbeat_interval=1.0)
    async with live_harness(settings=settings) as harness:
        _live_env(harness)
        tab = await harness.open(1, Ticker(), session_id="s4")
        await tab.drain()  # the first render
        registry = harness.live.registry
        registry.check(time.monotonic())  # written just now: no heartbeat due
        assert tab.connection._ping is False
        registry.check(time.monotonic() + 2)  # connected and quiet: a heartbeat is due
        async with asyncio.timeout(5):  # no heartbeat due: next() would wait forever
            items = await tab.connection.next()
        assert [i.kind for i in items] == ["ping"]
        tab.close()
        registry.check(time.monotonic() + 1)
        assert registry.get("s4") is not None
        registry.check(time.monotonic() + 6)
        assert registry.get("s4") is None
        assert harness.node.hub.subscriber_count("ticks:main") == 0


async def test_a_session_keeps_a_bounded_number_of_connections() -> None:
    settings = LiveSettings(max_connections_per_session=2)
    async with live_harness(settings=settings) as harness:
        _live_env(harness)
        tabs = [await harness.open(1, Ticker(), session_id="dup") for _ in range(3)]
        assert tabs[0].connection.closing == "replaced by a newer connection of the same page"
        assert tabs[1].connection.closing is None and tabs[2].connection.closing is None
        assert len(tabs[2].session.connections) == 2



async def test_tabs_of_one_page_share_what_they_remember_of_it() -> None:
    """Every tab of a page shows the same fragment ids: each session's record of them is one
    shared tuple, not a copy per tab (thousands of tabs), and stays right as values change."""
    async with live_harness() as harness:
        _live_env(harness)
        tabs = [await harness.open(user, Ticker(feed="b")) for user in (1, 2)]
        sessions = [tab.connection.session for tab in tabs]
        owned = [s._owned[Ticker(feed="b").id] for s in sessions]
        assert owned[0] == (Ticker(feed="b").id,) and owned[0] is owned[1]
        harness.broadcast("ticks:b", "tick", {"n": 3})
        for tab in tabs:
            assert (await tab.next_patch()).text(Ticker(feed="b").id) == "3"
