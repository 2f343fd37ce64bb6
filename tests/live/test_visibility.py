"""Hidden-tab pause: a paused session renders nothing while broadcasts arrive and keeps its
place; resuming sends exactly what changed, with current values; refusals and idempotence."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import jinja2
import pytest
from starlette.applications import Starlette

from liveui import Broadcast, LiveBadge, LiveComponent, LiveSettings, LiveUI, Node
from liveui.auth.claims import AuthClaims
from liveui.live.session_token import make_token
from liveui.live.specs import encode_specs
from liveui.live.visibility import set_paused
from liveui.testing import LiveHarness, LiveTab, live_harness, serve
from tests.live.world import World


class Tally(LiveComponent):
    """A public test feed that counts its renders, so a test can see none happened."""

    name = "test_pause_tally"
    template = "tally.html"
    renders = 0

    async def mount(self, ctx: Any) -> None:
        self.state.setdefault("n", 0)

    def topics(self, user_id: Any) -> list[str]:
        return [f"tally:{self.params['feed']}"]

    def authorize(self, ctx: Any) -> bool:
        return True

    def handle_info(self, message: Broadcast) -> bool:
        self.state = {"n": message.payload}
        return True

    def render(self, renderer: Any) -> str:
        Tally.renders += 1
        return super().render(renderer)


def _templates(harness: LiveHarness) -> None:
    harness.live.install_templates(jinja2.Environment(loader=jinja2.DictLoader(
        {"tally.html": '<b id="{{ id }}" {{ attrs }}>{{ state.n }}</b>'}
    )))


async def until(condition: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)
    assert condition(), what


async def _open_tallies(harness: LiveHarness, *feeds: str) -> tuple[LiveTab, list[Tally]]:
    tallies = [Tally(feed=feed) for feed in feeds]
    tab = await harness.open(1, *tallies)
    await tab.drain()  # the first full render
    return tab, tallies


async def test_a_paused_session_renders_nothing_and_resume_sends_exactly_what_changed() -> None:
    async with live_harness() as harness:
        _templates(harness)
        tab, (a, b, c) = await _open_tallies(harness, "a", "b", "c")
        session = tab.session
        assert await set_paused(harness.live.registry, 1, session.session_id, True) == (204, "")
        assert harness.live.registry.paused_count() == 1
        renders, seq = Tally.renders, session.outbox.seq
        for n in range(1, 6):
            harness.broadcast("tally:a", "tick", n)
        harness.broadcast("tally:b", "tick", 7)
        # The state still follows (cheap), but nothing is rendered nor queued for the tab.
        await until(lambda: a.state == {"n": 5} and b.state == {"n": 7}, "broadcasts applied")
        assert Tally.renders == renders
        assert session.outbox.seq == seq and tab.pending() == 0

        assert await set_paused(harness.live.registry, 1, session.session_id, False) == (204, "")
        sent = {e.id: e.text for patch in await tab.drain() for e in patch.elements}
        assert sent == {a.id: "5", b.id: "7"}  # c did not change: not sent
        assert harness.live.registry.paused_count() == 0
        harness.broadcast("tally:c", "tick", 9)  # rendering again as usual
        assert (await tab.next_patch()).text(c.id) == "9"


async def test_pause_and_resume_are_idempotent() -> None:
    async with live_harness() as harness:
        _templates(harness)
        tab, (a,) = await _open_tallies(harness, "a")
        registry, sid = harness.live.registry, tab.session.session_id
        for _ in range(3):
            assert await set_paused(registry, 1, sid, True) == (204, "")
        assert registry.paused_count() == 1 and tab.session.paused
        harness.broadcast("tally:a", "tick", 3)
        await until(lambda: a.state == {"n": 3}, "broadcast applied")
        for _ in range(3):
            assert await set_paused(registry, 1, sid, False) == (204, "")
        patches = await tab.drain()
        assert [p.text(a.id) for p in patches] == ["3"]  # one patch, not one per resume
        assert registry.paused_count() == 0


async def test_pause_of_another_users_or_an_unknown_session_is_refused() -> None:
    async with live_harness() as harness:
        _templates(harness)
        tab, _ = await _open_tallies(harness, "a")
        registry, sid = harness.live.registry, tab.session.session_id
        status, _ = await set_paused(registry, 2, sid, True)
        assert status == 403 and not tab.session.paused
        assert (await set_paused(registry, 1, "no-such-session", True))[0] == 404
        await set_paused(registry, 1, sid, True)
        assert (await set_paused(registry, 2, sid, False))[0] == 403
        assert tab.session.paused  # still paused: only its own user resumes it


async def test_patches_queued_before_the_pause_are_still_written() -> None:
    async with live_harness() as harness:
        _templates(harness)
        tab, (a,) = await _open_tallies(harness, "a")
        harness.broadcast("tally:a", "tick", 1)
        await until(lambda: tab.pending() == 1, "the patch queued")
        tab.session.pause()
        harness.broadcast("tally:a", "tick", 2)
        await until(lambda: a.state == {"n": 2}, "broadcast applied")
        assert [p.text(a.id) for p in await tab.drain()] == ["1"]  # current when it was made
        await tab.session.resume()
        assert (await tab.next_patch()).text(a.id) == "2"


async def test_a_paused_session_that_reconnects_is_resumed_and_brought_up_to_date() -> None:
    async with live_harness() as harness:
        _templates(harness)
        tab, (a,) = await _open_tallies(harness, "a")
        harness.broadcast("tally:a", "tick", 1)
        seen = await tab.next_patch()
        tab.session.pause()
        tab.close()  # the connection of the hidden tab dropped
        harness.broadcast("tally:a", "tick", 2)
        await until(lambda: a.state == {"n": 2}, "broadcast applied")
        again = await harness.open(1, Tally(feed="a"), session_id=tab.session.session_id,
                                   last_event_id=seen.event_id)
        assert again.session is tab.session and not again.session.paused
        assert (await again.next_patch()).text(a.id) == "2"


async def test_anti_entropy_skips_paused_sessions_and_resume_is_correct_anyway(
    world: World,
) -> None:
    alice = await world.add_user("alice")
    badge = LiveBadge("pending_orders")
    tab = await world.harness.open(alice, badge, etags={badge.id: LiveBadge(
        "pending_orders").etag()})
    registry = world.harness.live.registry
    tab.session.pause()
    # A change the session never hears of (written behind the dispatch's back).
    async with world.sessions() as s:
        s.add(world.Order(user_id=alice))
        await s.commit()
    verified = registry.verified
    registry.check(10**9)  # every session is due for verification
    await asyncio.sleep(0)  # a verifier task would start here
    assert registry._verifier is None and registry.verified == verified
    assert tab.pending() == 0
    await tab.session.resume()
    registry.check(10**9)  # resumed: verified again, and repaired
    await until(lambda: registry.verified == verified + 1, "the resumed session verified")
    patch = await tab.next_patch()
    assert patch.text(badge.id) == "1"


async def test_a_paused_session_is_still_closed_by_logout_caps_and_shutdown() -> None:
    async with live_harness(settings=LiveSettings(max_sessions_per_user=2)) as harness:
        _templates(harness)
        registry = harness.live.registry
        login = AuthClaims(1, "login-1", 0)
        connection = await registry.connect(1, "s-logout", [(Tally(feed="a"), None)], None, login)
        connection.session.pause()
        await harness.node.revocations.revoke_session(login)
        await until(lambda: connection.closing == "logged out", "closed by the logout")
        assert registry.paused_count() == 0

        oldest = await harness.open(1, Tally(feed="b"))
        oldest.session.pause()
        newest = await harness.open(1, Tally(feed="b"))
        newest.session.pause()
        await harness.open(1, Tally(feed="b"))  # one page more than the cap
        assert oldest.connection.closing == "too many open pages of this user"
        assert oldest.session.closed and registry.paused_count() == 1

        registry.close_all("server shutting down")
        assert newest.connection.closing == "server shutting down" and len(registry) == 0


async def test_a_pubsub_resync_of_a_paused_session_waits_for_the_resume(world: World) -> None:
    alice = await world.add_user("alice")
    badge = LiveBadge("pending_orders")
    tab = await world.harness.open(alice, badge, etags={badge.id: LiveBadge(
        "pending_orders").etag()})
    tab.session.pause()
    async with world.sessions() as s:  # missed, as if pub/sub had been down
        s.add(world.Order(user_id=alice))
        await s.commit()
    await world.harness.live.registry.resync_all()
    assert tab.pending() == 0 and tab.session.components[badge.id].state["value"] == 0
    await tab.session.resume()  # reloads from the database, then sends
    assert (await tab.next_patch()).text(badge.id) == "1"


# the endpoints -------------------------------------------------------------------------------
def _app() -> tuple[Starlette, LiveUI]:
    live = LiveUI(node=Node(), secret_key="k", get_user_id=lambda r: None, debug=True)
    live.install_templates(jinja2.Environment(loader=jinja2.DictLoader(
        {"tally.html": '<b id="{{ id }}" {{ attrs }}>{{ state.n }}</b>'}
    )))
    return Starlette(routes=live.routes(), lifespan=live.node.lifespan), live


@pytest.mark.parametrize("transport", ["sse", "ws"])
async def test_the_endpoints_pause_and_resume_only_the_tokens_own_session(transport: str) -> None:
    from websockets.asyncio.client import connect

    app, live = _app()
    sid, token = make_token("k", 7)
    _, other = make_token("k", 8)
    specs = encode_specs([Tally(feed="a").spec()])
    registry = live.registry
    with serve(app, timeout_graceful_shutdown=1) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            if transport == "sse":
                stream = client.stream("GET", f"/liveui/sse?token={token}&c={specs}")
                response = await stream.__aenter__()
                assert response.status_code == 200

                async def send(kind: str, with_token: str = token) -> int:
                    answer = await client.post(f"/liveui/{kind}",
                                               headers={"X-LiveUI-Token": with_token})
                    return answer.status_code
            else:
                ws = await connect(f"{server.ws_url}/liveui/ws?token={token}&c={specs}")

                async def send(kind: str, with_token: str = token) -> int:
                    await ws.send(f'{{"liveui": "{kind}"}}')
                    return 204
            try:
                await until(lambda: registry.get(sid) is not None, "the session opened")
                session = registry.get(sid)
                assert session is not None
                assert await send("pause") == 204
                await until(lambda: session.paused, "paused")
                assert await send("pause") == 204  # again: still paused, no error
                assert registry.paused_count() == 1
                if transport == "sse":
                    # Another user's token names that user's own session, which is not here.
                    assert await send("resume", other) == 404
                    assert await send("resume", "forged") == 403
                    answer = await client.post("/liveui/resume")  # no token at all
                    assert answer.status_code == 403
                else:
                    await ws.send('{"liveui": ["pause"]}')  # malformed: ignored
                assert session.paused
                assert await send("resume") == 204
                await until(lambda: not session.paused, "resumed")
                assert registry.paused_count() == 0
            finally:
                if transport == "sse":
                    await stream.__aexit__(None, None, None)
                else:
                    await ws.close()
