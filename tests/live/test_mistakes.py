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


# misspelled names: "did you mean", and one behaviour for counters and components ------------
def render(live: LiveUI, source: str) -> str:
    env = jinja2.Environment(loader=jinja2.DictLoader({"page.html": source}), autoescape=True)
    live.install_templates(env)
    return env.get_template("page.html").render(
        liveui_page=LivePage(user_id=1, session_id="s", token="t")
    )


def debug_live(world: World) -> LiveUI:
    return LiveUI(node=Node(), dispatch=world.dispatch, secret_key="k" * 40,
                  get_user_id=lambda r: None, debug=True)


@pytest.mark.parametrize("tag", ['live_badge("pending_order")', 'live_component("badges")'])
def test_a_misspelled_counter_or_component_raises_in_debug_with_a_suggestion(
    world: World, tag: str
) -> None:
    with pytest.raises(ConfigurationError, match=r"did you mean '(pending_orders|badge)'"):
        render(debug_live(world), "<p>{{ " + tag + " }}</p>")


@pytest.mark.parametrize(
    ("tag", "marker"),
    [('live_badge("pending_order")', "counter:pending_order"),
     ('live_component("badges")', "component:badges")],
)
def test_a_misspelled_counter_or_component_logs_once_and_renders_an_inert_placeholder(
    world: World, caplog: pytest.LogCaptureFixture, tag: str, marker: str
) -> None:
    live = world.harness.live
    with caplog.at_level(logging.WARNING, logger="liveui.live"):
        first = render(live, "<p>{{ " + tag + " }}</p>")
        render(live, "<p>{{ " + tag + " }}</p>")
    assert first == (f'<p><span class="liveui-unknown" data-liveui-unknown="{marker}" hidden>'
                     "</span></p>")
    said = [r.getMessage() for r in caplog.records if "did you mean" in r.getMessage()]
    assert len(said) == 1 and "empty placeholder" in said[0]


def test_a_far_off_name_gets_no_suggestion() -> None:
    with pytest.raises(SpecError) as raised:
        component_type("zzzzzz")
    assert "did you mean" not in str(raised.value)


def test_a_misspelled_template_suggests_the_one_that_exists(world: World) -> None:
    with pytest.raises(ConfigurationError, match=r"did you mean 'liveui/badge\.html'"):
        world.harness.live.renderer.render("liveui/bagde.html", id="x")


# start-up warnings -------------------------------------------------------------------------
def test_debug_with_a_default_secret_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="liveui.live"):
        LiveUI(node=Node(), secret_key="changeme", get_user_id=lambda r: None, debug=True)
    assert any("Never deploy with it" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="liveui.live"):
        LiveUI(node=Node(), secret_key="s" * 40, get_user_id=lambda r: None, debug=True)
    assert not any("Never deploy" in r.getMessage() for r in caplog.records)


async def test_prepare_without_installed_templates_names_the_fix(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from starlette.requests import Request

    live = LiveUI(node=Node(), secret_key="s" * 40, get_user_id=lambda r: None)
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})
    with caplog.at_level(logging.WARNING, logger="liveui.live"):
        await live.prepare(request)
        await live.prepare(request)
    said = [r.getMessage() for r in caplog.records if "'liveui_head' is undefined" in
            r.getMessage()]
    assert len(said) == 1 and "templates=Jinja2Templates" in said[0]
    caplog.clear()
    live.install_templates(jinja2.Environment())
    with caplog.at_level(logging.WARNING, logger="liveui.live"):
        await LiveUI(node=Node(), secret_key="s" * 40, get_user_id=lambda r: None,
                     templates=jinja2.Environment()).prepare(request)
    assert caplog.records == []
