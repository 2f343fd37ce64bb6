"""Components are safe by default: a spec from the browser names a type and params, and before
the component subscribes or mounts its `authorize(ctx)` must agree and its params must match
the declared schema. Tried with forged specs for someone else's topic."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import jinja2
import pytest

from liveui import Forbidden, LiveComponent, SpecError
from liveui.live.component import component_from_spec
from liveui.testing import LiveHarness, live_harness

SHOP_MEMBERS = {"main": {"1", "2"}, "secret": {"2"}}


class ShopTotal(LiveComponent):
    """The docs' example: a topic built from params, with the permission check it needs."""

    name = "authz_shop_total"
    template = "total.html"
    params_schema = {"shop": str}

    def topics(self, user_id: Any) -> list[str]:
        return [f"shop:{self.params['shop']}"]

    async def authorize(self, ctx: Any) -> bool:
        return str(ctx.user_id) in SHOP_MEMBERS.get(str(self.params["shop"]), set())


class Careless(LiveComponent):
    """Listens to a topic of its params' choosing and overrides nothing: denied by default."""

    name = "authz_careless"
    template = "total.html"

    def topics(self, user_id: Any) -> list[str]:
        return [f"user:{self.params.get('user', user_id)}"]


@asynccontextmanager
async def harness_with_templates() -> AsyncIterator[LiveHarness]:
    async with live_harness() as harness:
        harness.live.use_environment(jinja2.Environment(loader=jinja2.DictLoader(
            {"total.html": '<b id="{{ id }}" {{ attrs }}>{{ state.total }}</b>'})))
        yield harness


async def test_a_topic_other_than_the_users_own_is_denied_by_default() -> None:
    async with harness_with_templates() as harness:
        with pytest.raises(Forbidden, match="authz_careless"):
            await harness.open("1", Careless(user="2"))  # someone else's user topic
        assert harness.node.hub.subscriber_count("user:2") == 0
        with pytest.raises(Forbidden):
            await harness.open("1", Careless(user="x", extra=1))
        tab = await harness.open("1", Careless())  # its own topic: allowed
        assert harness.node.hub.subscriber_count("user:1") == 1
        tab.close()


async def test_authorize_decides_who_may_subscribe_to_a_shop_topic() -> None:
    async with harness_with_templates() as harness:
        with pytest.raises(Forbidden):
            await harness.open("1", ShopTotal(shop="secret"))
        assert harness.node.hub.subscriber_count("shop:secret") == 0
        await harness.open("2", ShopTotal(shop="secret"))
        assert harness.node.hub.subscriber_count("shop:secret") == 1
        # One refused component refuses the whole connection, nothing is subscribed.
        with pytest.raises(Forbidden):
            await harness.open("1", ShopTotal(shop="main"), ShopTotal(shop="secret"))
        assert harness.node.hub.subscriber_count("shop:main") == 0


async def test_a_forged_spec_in_an_action_is_refused() -> None:
    async with harness_with_templates() as harness:
        forged = '{"c": "authz_shop_total", "p": {"shop": "secret"}}'
        assert await harness.send_event("1", "x", spec=forged, session_id="s") == (
            403, "the component 'authz_shop_total' is not allowed for this user")
        status, reason = await harness.send_event("2", "x", spec=forged, session_id="s")
        assert status == 400 and "does not handle" in reason  # allowed; it just has no events


def test_params_are_checked_against_the_schema() -> None:
    component, _ = component_from_spec({"c": "authz_shop_total", "p": {"shop": "main"}})
    assert component.params == {"shop": "main"}
    with pytest.raises(SpecError, match="unknown param 'owner'"):
        component_from_spec({"c": "authz_shop_total", "p": {"shop": "main", "owner": 2}})
    with pytest.raises(SpecError, match="wrong type"):
        component_from_spec({"c": "authz_shop_total", "p": {"shop": ["main"]}})
    with pytest.raises(SpecError, match="wrong type"):
        component_from_spec({"c": "badge", "p": {"counter": "x", "hide_zero": "yes"}})
    with pytest.raises(SpecError, match="wrong type"):
        component_from_spec({"c": "notifications", "p": {"limit": True}})
