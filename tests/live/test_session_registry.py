"""Shared sessions: tabs of one login showing the same page in the same state share one session
until one of them does something for itself alone (an action, a view change, a pause), and
nothing is lost or crosses to another tab on the way."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import jinja2

from liveui import Broadcast, LiveComponent, LiveSettings
from liveui.auth.claims import AuthClaims
from liveui.auth.revocations import Revocation
from liveui.close_codes import CloseCode
from liveui.live.visibility import set_paused
from liveui.testing import LiveHarness, LiveTab, live_harness


class Dial(LiveComponent):
    """A component that counts the broadcasts it handles and has a per-tab action."""

    name = "test_dial"
    template = "dial.html"
    handled = 0

    async def mount(self, ctx: Any) -> None:
        self.state = {"n": Dial.value, "mine": 0}
        if Dial.mount_read is not None:  # a test holds the mount after its read
            Dial.mount_read.set()
            await Dial.mount_done.wait()

    value = 0  # what "the database" holds: mount reads it
    mount_read: asyncio.Event | None = None
    mount_done = asyncio.Event()

    def topics(self, user_id: Any) -> list[str]:
        return ["dial"]

    def authorize(self, ctx: Any) -> bool:
        return True

    def handle_info(self, message: Broadcast) -> bool:
        Dial.handled += 1
        self.state = {**self.state, "n": message.payload["n"]}
        return True

    async def handle_event(self, event: str, data: Mapping[str, Any], ctx: Any) -> None:
        self.state = {**self.state, "mine": self.state["mine"] + 1}


async def _harness_env(harness: LiveHarness) -> None:
    env = jinja2.Environment(loader=jinja2.DictLoader(
        {"dial.html": '<b id="{{ id }}" {{ attrs }}>{{ state.n }}/{{ state.mine }}</b>'}
    ))
    harness.live.install_templates(env)


async def _shown_etag() -> str:
    """The etag a page rendered now carries (the component as mounted from the database)."""
    dial = Dial()
    await dial.mount(None)
    return dial.etag()


async def _open(harness: LiveHarness, user: Any, sid: str, **kw: Any) -> LiveTab:
    dial = Dial(**kw)
    return await harness.open(user, dial, session_id=sid, etags={dial.id: await _shown_etag()})


def _broadcast(harness: LiveHarness, n: int) -> None:
    Dial.value = n
    harness.broadcast("dial", "set", {"n": n})


async def test_tabs_of_one_page_share_one_session_that_handles_a_broadcast_once() -> None:
    Dial.value, Dial.handled = 0, 0
    async with live_harness() as harness:
        await _harness_env(harness)
        tabs = [await _open(harness, 1, f"t{i}") for i in range(3)]
        registry = harness.live.registry
        assert len(registry) == 3 and len(registry.sessions) == 1
        assert registry.stats.attaches == {"new": 1, "joined": 2}
        assert {tab.session_id for tab in tabs} == {"t0", "t1", "t2"}
        _broadcast(harness, 5)
        patches = [await tab.next_patch() for tab in tabs]
        assert [p.text(Dial().id) for p in patches] == ["5/0"] * 3
        assert Dial.handled == 1  # applied once for the three tabs
        assert {p.event_id for p in patches} == {patches[0].event_id}


async def test_a_tab_that_acts_gets_its_own_session_and_the_others_do_not_see_its_state() -> None:
    Dial.value, Dial.handled = 0, 0
    async with live_harness() as harness:
        await _harness_env(harness)
        first, second = await _open(harness, 1, "a"), await _open(harness, 1, "b")
        shared = first.session
        assert second.session is shared
        _broadcast(harness, 1)
        assert (await first.next_patch()).text(Dial().id) == "1/0"
        # "b" has that patch pending when it acts: it is written before the action's own.
        result = await second.click(Dial(), "bump")
        assert result.ok
        assert second.session is not shared and first.session is shared
        assert harness.live.registry.get("b") is second.session
        assert [p.text(Dial().id) for p in await second.drain()] == ["1/0", "1/1"]
        assert first.pending() == 0  # the action was "b"'s alone
        assert harness.live.registry.stats.attaches["split"] == 1
        _broadcast(harness, 2)  # both still follow the data, each from its own session
        assert (await first.next_patch()).text(Dial().id) == "2/0"
        assert (await second.next_patch()).text(Dial().id) == "2/1"


async def test_a_broadcast_during_the_split_reaches_the_tab_that_left() -> None:
    Dial.value = 0
    async with live_harness() as harness:
        await _harness_env(harness)
        first, second = await _open(harness, 1, "a"), await _open(harness, 1, "b")
        registry = harness.live.registry
        Dial.mount_read, Dial.mount_done = asyncio.Event(), asyncio.Event()
        try:
            task = asyncio.ensure_future(registry.own("b"))
            async with asyncio.timeout(5):
                await Dial.mount_read.wait()  # the split's mount has read 0 and is not over
            _broadcast(harness, 7)  # committed after that read: it must not be lost
            Dial.mount_done.set()
            own = await task
        finally:
            Dial.mount_read = None
        assert own is second.session and own is not first.session
        assert (await second.patches_until(lambda p: p.text(Dial().id) == "7/0"))
        assert (await first.next_patch()).text(Dial().id) == "7/0"


async def test_a_hidden_tab_pauses_alone() -> None:
    Dial.value = 0
    async with live_harness() as harness:
        await _harness_env(harness)
        shown, hidden = await _open(harness, 1, "s"), await _open(harness, 1, "h")
        registry = harness.live.registry
        assert await set_paused(registry, 1, "h", True) == (204, "")
        assert hidden.session.paused and not shown.session.paused
        _broadcast(harness, 3)
        assert (await shown.next_patch()).text(Dial().id) == "3/0"
        assert hidden.pending() == 0
        assert await set_paused(registry, 1, "h", False) == (204, "")
        assert (await hidden.next_patch()).text(Dial().id) == "3/0"


async def test_pages_that_differ_do_not_share() -> None:
    Dial.value = 0
    async with live_harness() as harness:
        await _harness_env(harness)
        registry = harness.live.registry
        await _open(harness, 1, "u1")
        await _open(harness, 2, "u2")  # another user
        await _open(harness, 1, "p", id="other-dial")  # other params
        older = Dial()
        await harness.open(1, older, session_id="old", etags={older.id: "0" * 12})  # older page
        await harness.open(1, Dial(), session_id="none")  # no etag: what it shows is unknown
        assert len(registry.sessions) == 5 and registry.stats.attaches["joined"] == 0


async def test_other_logins_of_one_user_do_not_share_and_a_revocation_ends_its_tabs() -> None:
    Dial.value = 0
    async with live_harness() as harness:
        await _harness_env(harness)
        registry = harness.live.registry
        etag = await _shown_etag()
        logins = {name: AuthClaims(1, name, 0) for name in ("laptop", "phone")}
        connections = {}
        for sid, login in (("l1", "laptop"), ("l2", "laptop"), ("p1", "phone")):
            connections[sid] = await registry.connect(
                1, sid, [(Dial(), etag)], None, logins[login])
        assert connections["l1"].session is connections["l2"].session
        assert connections["p1"].session is not connections["l1"].session
        registry.revoked(Revocation(session="laptop"))
        assert connections["l1"].closing == connections["l2"].closing == "logged out"
        assert connections["p1"].closing is None
        assert registry.get("l1") is None and registry.get("l2") is None
        assert len(registry) == 1


async def test_sharing_can_be_switched_off() -> None:
    Dial.value = 0
    async with live_harness(settings=LiveSettings(share_sessions=False)) as harness:
        await _harness_env(harness)
        first, second = await _open(harness, 1, "a"), await _open(harness, 1, "b")
        assert first.session is not second.session


async def test_a_tab_that_left_a_shared_session_is_forgotten_after_the_grace_period() -> None:
    Dial.value = 0
    async with live_harness(settings=LiveSettings(grace_period=5.0)) as harness:
        await _harness_env(harness)
        registry = harness.live.registry
        stays, leaves = await _open(harness, 1, "stays"), await _open(harness, 1, "leaves")
        leaves.close()
        registry.check(time.monotonic() + 1)
        assert registry.get("leaves") is stays.session  # may still come back and replay
        registry.check(time.monotonic() + 6)
        assert registry.get("leaves") is None and registry.get("stays") is stays.session
        assert len(registry) == 1 and registry.count_for(1) == 1
        stays.close()
        registry.check(time.monotonic() + 12)
        assert len(registry.sessions) == 0
        assert harness.node.hub.subscriber_count("dial") == 0


async def test_the_per_user_cap_counts_tabs_and_closes_the_oldest_tab_only() -> None:
    Dial.value = 0
    async with live_harness(settings=LiveSettings(max_sessions_per_user=2)) as harness:
        await _harness_env(harness)
        registry = harness.live.registry
        tabs = [await _open(harness, 1, f"c{i}") for i in range(3)]
        assert tabs[0].connection.closing == "too many open pages of this user"
        assert [i.code for i in await tabs[0].connection.next()] == [CloseCode.POLICY]
        assert tabs[1].connection.closing is None and tabs[2].connection.closing is None
        assert registry.count_for(1) == 2 and registry.get("c0") is None
        _broadcast(harness, 4)
        for tab in tabs[1:]:
            assert (await tab.next_patch()).text(Dial().id) == "4/0"


async def test_a_reconnect_that_cannot_replay_gets_a_session_of_its_own_with_everything() -> None:
    Dial.value = 0
    async with live_harness() as harness:
        await _harness_env(harness)
        first, second = await _open(harness, 1, "a"), await _open(harness, 1, "b")
        second.close()
        again = await harness.open(1, Dial(), session_id="b", last_event_id="gone-1")
        assert again.session is not first.session
        assert (await again.next_patch()).text(Dial().id) == "0/0"
        assert first.pending() == 0
        assert registry_tabs(harness) == {"a": first.session, "b": again.session}


def registry_tabs(harness: LiveHarness) -> dict[str, Any]:
    registry = harness.live.registry
    return {tab: registry.get(tab) for tab in ("a", "b")}


async def test_tabs_opening_together_wait_for_the_first_and_join_it() -> None:
    Dial.value = 0
    async with live_harness() as harness:
        await _harness_env(harness)
        tabs = await asyncio.gather(*(_open(harness, 1, f"g{i}") for i in range(5)))
        assert len({id(tab.session) for tab in tabs}) == 1
        assert harness.live.registry.stats.attaches == {"new": 1, "joined": 4}


async def test_a_tab_leaving_while_patches_wait_to_be_written_is_sent_everything() -> None:
    """Patches queued in the shared session (the end of the loop turn, or a row read) are not
    in the outbox yet: the tab that leaves then cannot trust the shared state as its page's."""
    Dial.value = 0
    async with live_harness() as harness:
        await _harness_env(harness)
        first, second = await _open(harness, 1, "a"), await _open(harness, 1, "b")
        Dial.value = 9
        first.session.deliver(Broadcast("dial", "set", {"n": 9}))  # queued, not written yet
        assert first.session.has_unsent()
        await harness.live.registry.own("b")
        assert (await second.patches_until(lambda p: p.text(Dial().id) == "9/0"))
        assert (await first.next_patch()).text(Dial().id) == "9/0"


async def test_a_tab_that_would_join_the_session_the_cap_closes_gets_a_live_one() -> None:
    """The cap closes the user's oldest tab before a session is chosen to join: that tab may be
    the only one of the session the new tab would have joined."""
    Dial.value = 0
    async with live_harness(settings=LiveSettings(max_sessions_per_user=2)) as harness:
        await _harness_env(harness)
        oldest = await _open(harness, 1, "oldest")
        await _open(harness, 1, "other", id="other-dial")
        newest = await _open(harness, 1, "newest")
        assert oldest.connection.closing == "too many open pages of this user"
        assert not newest.session.closed and newest.session is not oldest.session
        _broadcast(harness, 6)
        assert (await newest.patches_until(lambda p: p.text(Dial().id) == "6/0"))
