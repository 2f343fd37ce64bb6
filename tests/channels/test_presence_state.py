"""The replicated presence table on its own: merging replicas, ordered deltas, gaps, snapshots,
silent nodes."""

from __future__ import annotations

from typing import Any

from liveui.channels.presence_state import Applied, Diffs, PresenceTable


def meta(ref: str, **extra: Any) -> dict[str, Any]:
    return {"phx_ref": ref, **extra}


def refs(table: PresenceTable, topic: str) -> dict[str, list[str]]:
    return {
        key: [m["phx_ref"] for m in entry["metas"]] for key, entry in table.list(topic).items()
    }


def test_list_merges_own_and_remote_entries_per_key() -> None:
    table = PresenceTable("here")
    table.own.add("room:1", "42", meta("a1", tab=1))
    diffs = Diffs()
    applied = table.apply_delta(
        "there", 1, [("room:1", "42", meta("b1", tab=2)), ("room:1", "7", meta("b2"))], [], 0.0,
        diffs,
    )
    assert applied is Applied.APPLIED
    # A user with a tab on each node is one key with two metas.
    assert refs(table, "room:1") == {"42": ["a1", "b1"], "7": ["b2"]}
    assert refs(table, "room:2") == {}
    assert diffs.topics == {
        "room:1": {
            "joins": {"42": {"metas": [meta("b1", tab=2)]}, "7": {"metas": [meta("b2")]}},
            "leaves": {},
        }
    }


def test_deltas_apply_in_order_and_duplicates_are_ignored() -> None:
    table = PresenceTable("here")
    table.apply_delta("there", 1, [("t", "k", meta("r1"))], [], 0.0, Diffs())
    diffs = Diffs()
    assert table.apply_delta("there", 2, [], [("t", "k", "r1")], 0.0, diffs) is Applied.APPLIED
    assert diffs.topics == {"t": {"joins": {}, "leaves": {"k": {"metas": [meta("r1")]}}}}
    assert refs(table, "t") == {}
    again = Diffs()
    assert table.apply_delta("there", 2, [], [("t", "k", "r1")], 0.0, again) is Applied.STALE
    assert table.apply_delta("there", 1, [("t", "k", meta("r1"))], [], 0.0, again) is Applied.STALE
    assert not again and refs(table, "t") == {}


def test_a_join_and_its_leave_in_one_delta_cancel_out() -> None:
    table = PresenceTable("here")
    diffs = Diffs()
    table.apply_delta("there", 1, [("t", "k", meta("r1"))], [("t", "k", "r1")], 0.0, diffs)
    assert refs(table, "t") == {}


def test_a_gap_is_not_applied_and_a_snapshot_repairs_it() -> None:
    table = PresenceTable("here")
    table.apply_delta("there", 1, [("t", "k", meta("r1")), ("t", "k", meta("r2"))], [], 0.0,
                      Diffs())
    # Delta 2 (leave r1, join r3) was lost; delta 3 must not be applied on top of a hole.
    diffs = Diffs()
    assert table.apply_delta("there", 3, [("t", "j", meta("r4"))], [], 0.0, diffs) is Applied.GAP
    assert not diffs and refs(table, "t") == {"k": ["r1", "r2"]}
    # The owner's snapshot at version 3: the differences come out as joins and leaves.
    snapshot = Diffs()
    rows = [("t", "k", meta("r2")), ("t", "k", meta("r3")), ("t", "j", meta("r4"))]
    assert table.apply_snapshot("there", 3, rows, 1.0, snapshot) is Applied.APPLIED
    assert refs(table, "t") == {"k": ["r2", "r3"], "j": ["r4"]}
    assert snapshot.topics["t"]["leaves"] == {"k": {"metas": [meta("r1")]}}
    assert snapshot.topics["t"]["joins"] == {
        "k": {"metas": [meta("r3")]},
        "j": {"metas": [meta("r4")]},
    }
    # The stream continues from the snapshot's version; older snapshots are ignored.
    assert table.apply_delta("there", 4, [], [("t", "j", "r4")], 1.0, Diffs()) is Applied.APPLIED
    assert table.apply_snapshot("there", 3, rows, 1.0, Diffs()) is Applied.STALE
    assert refs(table, "t") == {"k": ["r2", "r3"]}


def test_a_new_replica_starting_past_version_one_is_a_gap() -> None:
    """A node first heard mid-stream: its earlier entries are unknown until its snapshot."""
    table = PresenceTable("here")
    assert table.apply_delta("late", 5, [], [], 0.0, Diffs()) is Applied.GAP
    assert table.apply_delta("new", 1, [("t", "k", meta("n1"))], [], 0.0, Diffs()) is (
        Applied.APPLIED
    )


def test_silent_replicas_are_found_and_dropped_as_leaves() -> None:
    table = PresenceTable("here")
    table.apply_delta("quiet", 1, [("t", "k", meta("q1")), ("u", "k", meta("q2"))], [], 1.0,
                      Diffs())
    table.apply_delta("chatty", 1, [("t", "k", meta("c1"))], [], 1.0, Diffs())
    table.heard("chatty", 9.0)
    assert table.silent_since(5.0) == ("quiet",)
    diffs = Diffs()
    assert table.drop("quiet", diffs)
    assert not table.drop("quiet", Diffs())
    assert diffs.topics == {
        "t": {"joins": {}, "leaves": {"k": {"metas": [meta("q1")]}}},
        "u": {"joins": {}, "leaves": {"k": {"metas": [meta("q2")]}}},
    }
    assert refs(table, "t") == {"k": ["c1"]}
    # Heard again after being dropped (a partition healed): it starts over, empty, at version 0.
    assert table.heard("quiet", 10.0).version == 0
    assert refs(table, "u") == {}
