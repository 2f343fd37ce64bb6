"""The collection diff without a database: how a shared read of changed rows merges into what
one session shows (insert position, moves, deletes, the limit, load more, versions, owners),
and which patch operations a change becomes."""

from __future__ import annotations

from typing import Any

import jinja2
import pytest

from liveui import LiveCollection
from liveui.live import collection as collection_module
from liveui.live.fragment import Fragment, Op, render_ops
from liveui.live.render import Renderer, live_environment
from liveui.live.session import _moved
from liveui.row_events import CollectionInfo, Descending, RowsPage, RowsRead, RowState
from liveui.testing import Patch


class Ranked(LiveCollection):
    name = "diff_ranked"
    row_template = "row.html"
    limit = 3


def row(key: int, rank: int | None = None, owner: int = 1, **values: Any) -> RowState:
    rank = key if rank is None else rank
    return RowState(key, owner, (rank, key), (rank, key), {"id": key, "rank": rank, **values})


def shown(rows: list[RowState], *, owned: bool = True, user: int = 1,
          has_more: bool = False) -> Ranked:
    view = Ranked()
    view._info = CollectionInfo("diff_ranked", "user", owned)
    view._audience_ok = True
    view._user = str(user)
    view._set(RowsPage(10, rows, has_more))
    return view


def keys(view: Ranked) -> list[Any]:
    return [r.key for r in view.rows]


def read(version: int, *rows: tuple[int, RowState | None]) -> RowsRead:
    return RowsRead("diff_ranked", version, dict(rows))


def test_a_new_row_goes_where_the_order_puts_it() -> None:
    view = shown([row(1), row(5)])
    assert view.apply(read(11, (3, row(3))))
    assert keys(view) == [1, 3, 5]
    assert view.apply(read(12, (0, row(0))))
    assert keys(view) == [0, 1, 3]  # the limit is 3: the last row fell off
    assert view.has_more


def test_descending_order_puts_the_newest_first() -> None:
    def newest(key: int) -> RowState:
        return RowState(key, 1, (Descending(key),), (key,), {"id": key})

    view = shown([newest(5), newest(2)])
    view.apply(read(11, (7, newest(7))))
    assert keys(view) == [7, 5, 2]


def test_a_changed_rank_moves_the_row() -> None:
    view = shown([row(1), row(2), row(3)])
    assert view.apply(read(11, (1, row(1, rank=9))))
    # Beyond the last row shown while nothing waits behind it: it stays, at the end.
    assert keys(view) == [2, 3, 1]
    assert view.apply(read(12, (3, row(3, rank=0))))
    assert keys(view) == [3, 2, 1]


def test_a_change_in_place_keeps_the_order() -> None:
    view = shown([row(1), row(2)])
    assert view.apply(read(11, (2, row(2, title="renamed"))))
    assert keys(view) == [1, 2]
    assert view.rows[1].values["title"] == "renamed"
    assert not view.apply(read(12, (2, row(2, title="renamed"))))  # nothing new to show


def test_deleted_and_filtered_out_rows_leave() -> None:
    view = shown([row(1), row(2), row(3)])
    assert view.apply(read(11, (2, None)))
    assert keys(view) == [1, 3]
    assert not view.apply(read(12, (42, None)))  # never shown: nothing to do


def test_a_row_given_to_another_owner_leaves_and_never_arrives_elsewhere() -> None:
    alice, bob = shown([row(1), row(2)], user=1), shown([row(7, owner=2)], user=2)
    moved = read(11, (2, row(2, owner=2)))
    assert alice.apply(moved) and bob.apply(moved)
    assert keys(alice) == [1]
    assert keys(bob) == [2, 7]
    assert not alice.apply(read(12, (9, row(9, owner=2))))  # bob's new row: not alice's


def test_audience_rows_reach_everyone_admitted_and_nobody_else() -> None:
    admin = shown([], owned=False)
    outsider = shown([], owned=False)
    outsider._audience_ok = False
    assert admin.apply(read(11, (4, row(4, owner=3))))
    assert not outsider.apply(read(11, (4, row(4, owner=3))))
    assert keys(admin) == [4] and keys(outsider) == []


def test_the_last_row_changed_in_place_stays_while_more_wait_behind_it() -> None:
    view = shown([row(1), row(2), row(3)], has_more=True)
    assert view.apply(read(11, (3, row(3, title="renamed"))))
    assert keys(view) == [1, 2, 3] and view.rows[2].values["title"] == "renamed"
    assert view.apply(read(12, (3, row(3, rank=7))))  # moved later: it may belong behind others
    assert keys(view) == [1, 2]  # so it leaves, and the view refills from the database


def test_the_limit_keeps_the_window_and_rows_behind_it_wait() -> None:
    view = shown([row(1), row(2), row(3)], has_more=True)
    assert not view.apply(read(11, (8, row(8))))  # after the last row shown: behind the button
    assert keys(view) == [1, 2, 3] and view.has_more
    view = shown([row(1), row(2), row(3)])
    assert view.apply(read(11, (8, row(8))))  # full window: "load more" appears
    assert keys(view) == [1, 2, 3] and view.has_more


def test_load_more_extends_after_the_cursor() -> None:
    view = shown([row(1), row(2), row(3)], has_more=True)
    assert view.rows[-1].cursor == (3, 3)
    view.window += view.limit
    assert view._extend(RowsPage(12, [row(4), row(5)], False))
    assert keys(view) == [1, 2, 3, 4, 5] and not view.has_more
    assert view.apply(read(13, (0, row(0))))
    assert keys(view) == [0, 1, 2, 3, 4, 5]  # the window is six rows now


def test_older_reads_never_roll_a_row_back() -> None:
    view = shown([row(1), row(2)])
    assert view.apply(read(20, (2, row(2, title="new"))))
    assert not view.apply(read(15, (2, row(2, title="old"))))
    assert view.rows[1].values["title"] == "new"
    assert view.apply(read(21, (2, None)))
    assert not view.apply(read(19, (2, row(2, title="resurrected"))))  # gone stays gone
    assert keys(view) == [1]
    assert not view.apply(read(9, (5, row(5))))  # older than the page itself: already seen


def test_moves_are_the_fewest_elements_out_of_order() -> None:
    assert _moved(("a", "b", "c", "d"), ["a", "b", "c", "d"]) == frozenset()
    assert _moved(("a", "b", "c", "d"), ["b", "c", "d", "a"]) == {"a"}
    assert _moved(("a", "b", "c", "d"), ["a", "d", "b", "c"]) == {"d"}
    assert _moved(("a", "b", "c"), ["c", "b", "a"]) in ({"a", "b"}, {"b", "c"}, {"a", "c"})
    assert _moved(("a", "b", "x"), ["new", "b", "a"]) in ({"a"}, {"b"})


def test_every_operation_travels_inside_its_own_template() -> None:
    """Table parts parse only there, and htmx applies templates in the order written (top-level
    OOB elements first): a patch that mixed the two would reorder a delete before an insert."""
    row_html = '<tr id="t-1" data-order-id="1"><td>1</td></tr>'
    text = render_ops([
        Op("insert", Fragment("t-1", row_html, container="t-rows", position="afterbegin")),
        Op("replace", Fragment("t-2", row_html.replace("t-1", "t-2"))),
        Op("delete", Fragment("t-3", "")),
        Op("replace", Fragment("badge", '<span id="badge">2</span>')),
    ])
    parts = text.split("\n")
    assert len(parts) == 4
    assert all(p.startswith("<template>") and p.endswith("</template>") for p in parts)
    assert '<template><tbody hx-swap-oob="afterbegin:#t-rows"><tr id="t-1"' in text
    patch = Patch.parse("e-1", text)
    assert patch.ids == ["afterbegin:#t-rows", "t-2", "t-3", "badge"]
    assert patch.element("t-2").tag == "tr" and patch.element("t-2").oob == "true"


def test_a_session_patch_moves_a_reordered_row() -> None:
    env = jinja2.Environment(loader=jinja2.DictLoader(
        {"row.html": '<li id="{{ row_id }}">{{ row.rank }}</li>'}))
    renderer = Renderer(live_environment(env))
    view = shown([row(1), row(2), row(3)])
    before = [f.id for f in view.fragments(renderer)]
    view.apply(read(11, (1, row(1, rank=9))))
    after = [f.id for f in view.fragments(renderer)]
    assert _moved(tuple(before), after) == {view.row_id(1)}


def _page_after(page: list[str], ops: list[Op], rows_id: str) -> list[str]:
    """What a page's list of row ids becomes under `ops`, applied in order as htmx would
    (a replace or delete of a missing element, or an insert after one, would be lost: fail)."""
    page = list(page)
    for op in ops:
        fragment = op.fragment
        if op.kind == "delete":
            if fragment.id.endswith(("-empty", "-more")):
                continue
            assert fragment.id in page, f"deleting {fragment.id}, not on the page"
            page.remove(fragment.id)
        elif op.kind == "replace":
            if not fragment.id.endswith(("-empty", "-more")):
                assert fragment.id in page, f"replacing {fragment.id}, not on the page"
        else:
            assert fragment.id not in page, f"inserting {fragment.id} twice"
            if fragment.container == rows_id:
                page.insert(0, fragment.id)
            else:
                assert fragment.container in page, f"inserting after {fragment.container}"
                page.insert(page.index(fragment.container) + 1, fragment.id)
    return page


def test_the_collections_own_operations_bring_the_page_to_its_rows() -> None:
    import random

    env = jinja2.Environment(loader=jinja2.DictLoader(
        {"row.html": '<li id="{{ row_id }}">{{ row.rank }} {{ row.get("title", "") }}</li>'}))
    renderer = Renderer(live_environment(env))
    chance = random.Random(29)
    for _ in range(200):
        view = shown(sorted((row(k, rank=chance.randrange(20)) for k in range(3)),
                            key=lambda r: r.sort))  # a page comes in the collection's order
        view.mark_shown(renderer)
        page = [view.row_id(r.key) for r in view.rows]
        version = 10
        for _ in range(6):
            version += 1
            changes = []
            for key in chance.sample(range(8), chance.randrange(1, 4)):
                roll = chance.random()
                if roll < 0.2:
                    changes.append((key, None))  # deleted
                else:
                    changes.append((key, row(key, rank=chance.randrange(20),
                                             title=f"v{version}")))
            view.apply(read(version, *changes))
            ops = view.changed_ops(renderer)
            assert ops is not None
            page = _page_after(page, ops, view.rows_id)
            assert page == [view.row_id(r.key) for r in view.rows]
            assert view.changed_ops(renderer) == []  # sent: nothing more to send


def test_one_changed_row_costs_the_same_in_a_table_of_500() -> None:
    looked_at = []

    class Big(Ranked):
        name = "diff_big"
        limit = 500

        def _row_fragment(self, renderer: Renderer, row: RowState, previous: str | None
                          ) -> Fragment:
            looked_at.append(row.key)
            return super()._row_fragment(renderer, row, previous)

    env = jinja2.Environment(loader=jinja2.DictLoader(
        {"row.html": '<li id="{{ row_id }}">{{ row.get("title", "") }}</li>'}))
    renderer = Renderer(live_environment(env))
    view = Big()
    view._info = CollectionInfo("diff_ranked", "user", True)
    view._audience_ok, view._user = True, "1"
    view._set(RowsPage(10, [row(k) for k in range(500)], False))
    view.mark_shown(renderer)
    view.apply(read(11, (250, row(250, title="changed"))))
    ops = view.changed_ops(renderer)
    assert ops is not None and [op.kind for op in ops] == ["replace"]
    assert looked_at == [250]  # one row rendered or looked up, not 500


def test_reads_of_many_users_rows_keep_the_page_the_first_rows_of_its_user(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A session of an owned collection looks only at its user's rows of a large read and the
    rows it shows (`RowsRead.owned_by`). Against a simulated database — rows given away,
    taken over, deleted, moved past the limit — the page, refilled as `handle_info` does, is
    always its user's first rows; and so it is when every row of a read is looked at."""
    import random

    chance = random.Random(41)

    def check(indexed: bool) -> None:
        monkeypatch.setattr(collection_module, "_SMALL_READ", 4 if indexed else 10**9)
        truth = {k: row(k, rank=chance.randrange(30)) for k in range(6)}

        def ordered() -> list[RowState]:
            return sorted(truth.values(), key=lambda r: r.sort)

        view = shown(ordered()[:3], has_more=True)
        for version in range(110, 170, 10):
            changes = []
            for key in chance.sample(range(40), chance.randrange(5, 25)):
                roll = chance.random()
                owner = 1 if roll < 0.4 else chance.randrange(2, 6)
                changed = None if roll > 0.85 else row(
                    key, rank=chance.randrange(30), owner=owner, title=f"v{version}")
                changes.append((key, changed))
                if changed is not None and changed.owner == 1:
                    truth[key] = changed
                else:
                    truth.pop(key, None)
            view.apply(read(version, *changes))
            if len(view.rows) < view.window and view.has_more:  # the refill's query
                after = view.rows[-1].sort if view.rows else None
                rest = [r for r in ordered() if after is None or r.sort > after]
                wanted = view.window - len(view.rows)
                view._extend(RowsPage(version + 5, rest[:wanted], len(rest) > wanted))
            first = ordered()
            assert keys(view) == [r.key for r in first[: len(view.rows)]]
            assert len(view.rows) == min(view.window, len(first))
            assert [r.values for r in view.rows] == [r.values for r in first[: len(view.rows)]]

    for _ in range(100):
        check(indexed=True)
        check(indexed=False)


def test_a_read_indexes_its_rows_by_owner_once() -> None:
    shared = read(11, (1, row(1, owner=1)), (2, row(2, owner=2)), (3, None), (4, row(4, owner=1)))
    assert shared.owned_by("1") == [1, 4] and shared.owned_by("2") == [2]
    assert shared.owned_by("9") == []
    assert shared.owned_by("1") is shared.owned_by("1")


def test_a_reload_of_the_same_rows_touches_nothing_and_a_changed_one_only_its_rows() -> None:
    """Anti-entropy reloads every page now and then: rows read again unchanged are the same
    shared states, so nothing is recorded (nor held until the next change), and a reload that
    did change rows yields the operations for those rows only."""
    env = jinja2.Environment(loader=jinja2.DictLoader(
        {"row.html": '<li id="{{ row_id }}">{{ row.get("title", "") }}</li>'}))
    renderer = Renderer(live_environment(env))
    first = [row(1), row(2), row(3)]
    view = shown(first)
    view.mark_shown(renderer)
    view._set(RowsPage(11, list(first), False))
    assert view._touched is None
    assert view.changed_ops(renderer) == []
    view._set(RowsPage(12, [first[0], row(2, title="new"), row(4)], False))
    ops = view.changed_ops(renderer)
    assert ops is not None
    assert sorted((op.kind, op.fragment.id) for op in ops) == sorted([
        ("delete", view.row_id(3)), ("insert", view.row_id(4)), ("replace", view.row_id(2))])
