"""A new user's mistakes are said out loud, once, with the fix: an undeclared counter in a tag,
a session factory dispatch never hooked, install() forgotten, a missing template, an unknown
component."""

from __future__ import annotations

import logging
from typing import Any

import jinja2
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from liveui import ConfigurationError, Dispatch, DispatchSettings, LiveSettings, LiveUI, Node
from liveui.errors import SpecError
from liveui.live.component import component_type
from liveui.live.page import LivePage
from tests.live.world import World

PAGE = '{{ live_badge("pending_order") }}'


def render_page(live: LiveUI, page: LivePage) -> str:
    env = jinja2.Environment(loader=jinja2.DictLoader({"page.html": PAGE}), autoescape=True)
    live.install_templates(env)
    return env.get_template("page.html").render(liveui_page=page)


def test_an_undeclared_counter_is_a_warning_naming_the_declared_ones(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    live = world.harness.live
    page = LivePage(user_id=1, session_id="s", token="t")
    with caplog.at_level(logging.WARNING, logger="liveui.live"):
        render_page(live, page)
        render_page(live, page)
    warnings = [r.getMessage() for r in caplog.records if "pending_order'" in r.getMessage()]
    assert len(warnings) == 1  # once per name, not once per render
    assert "pending_orders" in warnings[0] and "unread_notifications" in warnings[0]


def test_an_undeclared_counter_raises_in_debug(world: World) -> None:
    live = LiveUI(node=Node(), dispatch=world.dispatch, secret_key="k",
                  get_user_id=lambda r: None, debug=True)
    with pytest.raises(ConfigurationError, match=r"pending_order'.*declared counters: "):
        render_page(live, LivePage(user_id=1, session_id="s", token="t"))


async def test_forgetting_install_is_a_warning_at_start_up(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    node = Node()
    Dispatch(DispatchSettings(models=[world.Order], user_model=world.User), node=node,
             engine=world.engine)
    with caplog.at_level(logging.WARNING, logger="liveui.dispatch"):
        async with node.lifespan():
            pass
    assert any("dispatch.install(sessions) was never called" in r.getMessage()
               for r in caplog.records)


async def test_notify_on_a_factory_never_installed_warns_once(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    alice = await world.add_user("alice")
    other: async_sessionmaker[Any] = async_sessionmaker(world.engine, expire_on_commit=False)
    with caplog.at_level(logging.WARNING, logger="liveui.dispatch"):
        for title in ("one", "two"):
            async with other() as session:
                await world.dispatch.notify(session, alice, title=title)
                await session.commit()
    messages = [r.getMessage() for r in caplog.records if "never hooked" in r.getMessage()]
    assert len(messages) == 1 and "dispatch.install()" in messages[0]
    async with world.sessions() as session:  # an installed factory: no warning
        await world.dispatch.notify(session, alice, title="three")
        await session.commit()
    assert len([r for r in caplog.records if "never hooked" in r.getMessage()]) == 1


def test_a_missing_template_names_itself(world: World) -> None:
    with pytest.raises(ConfigurationError, match=r"no_such\.html"):
        world.harness.live.renderer.render("no_such.html", id="x")


def test_an_unknown_component_lists_the_known_ones() -> None:
    with pytest.raises(SpecError, match=r"'nope'.*badge"):
        component_type("nope")


def test_a_settings_typo_names_the_unknown_keyword() -> None:
    with pytest.raises(TypeError, match="hearbeat_interval"):
        LiveSettings(hearbeat_interval=5)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="coalesce_windo"):
        DispatchSettings(coalesce_windo=0.1)  # type: ignore[call-arg]
