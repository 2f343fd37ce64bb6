"""Hidden-tab pause of live collections: a paused table neither reads nor renders rows; on
resume it is reloaded from the database and patched to exactly what the database holds."""

from __future__ import annotations

from liveui.testing import Patch

from .collections_world import MyItems, World, world

__all__ = ["world"]


def rows_shown(patches: list[Patch], view: MyItems) -> dict[str, str]:
    """Row id -> what the patches did to it ("delete", or the row's text)."""
    done: dict[str, str] = {}
    for patch in patches:
        for element in patch.elements:
            if element.oob == "delete":
                done[element.id] = "delete"
            elif element.id.startswith(view.rows_id) or element.id == view.rows_id:
                continue
            elif element.id:
                done[element.id] = element.text
        for insert in patch.inserts():
            html = insert.html
            row_id = html.split('id="', 1)[1].split('"', 1)[0]
            done[row_id] = insert.text
    return done


async def test_a_paused_collection_is_reloaded_and_patched_on_resume(world: World) -> None:
    alice = await world.add_user("alice")
    kept, renamed, deleted = [await world.add_item(alice, t) for t in ("kept", "old", "gone")]
    view = MyItems()
    tab = await world.harness.open(alice, view)
    await tab.next_patch()  # the first full render
    shown_rows = list(view.rows)
    tab.session.pause()

    added = await world.add_item(alice, "new")
    await world.change(renamed, title="renamed")
    await world.delete(deleted)
    await world.settle()
    # Nothing rendered, and the rows were not even applied: they are re-read on resume.
    assert tab.pending() == 0 and view.rows == shown_rows

    await tab.session.resume()
    patches = await tab.drain()
    assert rows_shown(patches, view) == {
        view.row_id(added): "new",
        view.row_id(renamed): "renamed",
        view.row_id(deleted): "delete",
    }
    assert [row.key for row in view.rows][:3] == [added, renamed, kept]
    registry = world.harness.live.registry
    assert await registry.verify([tab.session]) == 0  # nothing left to repair
