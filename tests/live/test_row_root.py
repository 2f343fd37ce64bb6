"""A row template whose root lacks `id="{{ row_id }}"` is refused, by name, the first time a
row renders (first paint or a patch), instead of rows that silently never leave the page."""

from __future__ import annotations

import jinja2
import pytest

from liveui import ConfigurationError, LiveCollection
from liveui.live.row_root import root_id

from .collections_world import ROW, MyItems, World, world

__all__ = ["world"]


class NoIdItems(LiveCollection):
    name = "test_no_id_items"
    collection = "my_items"
    row_template = "no_id_row.html"


class WrongIdItems(LiveCollection):
    name = "test_wrong_id_items"
    collection = "my_items"
    row_template = "wrong_id_row.html"


def use_templates(world: World) -> None:
    world.harness.live.use_environment(jinja2.Environment(loader=jinja2.DictLoader({
        "item_row.html": ROW,
        "no_id_row.html": '<li data-item-id="{{ row.id }}">{{ row.title }}</li>',
        "wrong_id_row.html": '<li data-id="{{ row_id }}" id="item-{{ row.id }}">x</li>',
    })))


@pytest.mark.parametrize("view", [NoIdItems, WrongIdItems])
async def test_first_paint_refuses_a_row_template_without_the_row_id(
    world: World, view: type[LiveCollection]
) -> None:
    use_templates(world)
    alice = await world.add_user("alice")
    await world.add_item(alice, "one")
    with pytest.raises(ConfigurationError, match=rf"{view.__name__}\.row_template "
                                                 rf"'{view.row_template}'.*row_id"):
        await world.harness.render(view(), user_id=alice)


async def test_an_empty_collection_renders_and_the_first_row_is_refused(world: World) -> None:
    use_templates(world)
    alice = await world.add_user("alice")
    html = await world.harness.render(NoIdItems(), user_id=alice)  # no row rendered yet
    assert "Nothing here yet." in html
    await world.add_item(alice, "one")
    with pytest.raises(ConfigurationError, match=r"no_id_row\.html"):
        await world.harness.render(NoIdItems(), user_id=alice)


async def test_a_good_row_template_renders(world: World) -> None:
    use_templates(world)
    alice = await world.add_user("alice")
    item = await world.add_item(alice, "one")
    view = MyItems()
    html = await world.harness.render(view, user_id=alice)
    assert f'<li id="{view.row_id(item)}"' in html


@pytest.mark.parametrize(
    ("html", "expected"),
    [('<tr id="t-1" class="x">', "t-1"), ("\n  <li class='a' id='t-2'>", "t-2"),
     ("<li id=t-3>", "t-3"), ('<li data-id="t-4">', None), ('<li title="id=\'x\'">', None),
     ('<li title="a>b" id="t-5">', "t-5"), ("text <li id='t-6'>", None)],
)
def test_the_root_id_is_read_from_the_first_tag_only(html: str, expected: str | None) -> None:
    assert root_id(html) == expected


class MisspelledItems(LiveCollection):
    name = "test_misspelled_items"
    collection = "my_item"
    row_template = "item_row.html"


async def test_a_misspelled_collection_suggests_the_declared_one(world: World) -> None:
    alice = await world.add_user("alice")
    suggestion = r"'my_item' is declared \(did you mean 'my_items'"
    with pytest.raises(ConfigurationError, match=suggestion):
        world.dispatch.registry.collection("my_item")
    # Said as it is when a page asks for it, not turned into "not allowed for this user".
    with pytest.raises(ConfigurationError, match=suggestion):
        await world.harness.live.registry.authorize(alice, [MisspelledItems()])
