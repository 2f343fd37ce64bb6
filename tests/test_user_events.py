"""The `user:<id>` wire contract's aggregate payloads: what producers write, what readers accept
and refuse (malformed values are dropped, never shown as 0 or turned into floats)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from liveui.dispatch.aggregate_declaration import AggregateValue
from liveui.user_events import (
    AGGREGATE_UPDATED,
    PAYLOAD_SHAPES,
    SERVER_EVENTS,
    AggregateUpdate,
    aggregate_state,
    aggregate_updated,
    aggregate_wire_value,
    read_aggregate_update,
)


def test_values_go_on_the_wire_as_plain_decimal_strings() -> None:
    assert aggregate_wire_value(Decimal("1234.50")) == "1234.50"
    assert aggregate_wire_value(Decimal(5).scaleb(3)) == "5000"  # never "5E+3"
    assert aggregate_wire_value(Decimal("1E-7")) == "0.0000001"
    assert aggregate_wire_value(None) is None
    with pytest.raises(TypeError):
        aggregate_wire_value(Decimal("NaN"))
    with pytest.raises(TypeError):
        aggregate_wire_value(1.5)  # type: ignore[arg-type]


def test_a_built_payload_reads_back_and_matches_the_shape_table() -> None:
    payload = aggregate_updated("revenue", Decimal("10.00"), 42, ["admin"])
    assert payload == {"aggregate": "revenue", "value": "10.00", "version": 42,
                       "metadata": {"invalidateQueries": ["admin"]}}
    assert [f.name for f in PAYLOAD_SHAPES[AGGREGATE_UPDATED]] == list(payload)
    assert AGGREGATE_UPDATED in SERVER_EVENTS
    assert read_aggregate_update(payload) == AggregateUpdate("revenue", Decimal("10.00"), 42)
    empty = aggregate_updated("avg_order", None, 43)
    assert read_aggregate_update(empty) == AggregateUpdate("avg_order", None, 43)


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        {"aggregate": "revenue", "value": "1.00"},  # no version
        {"aggregate": "revenue", "value": "1.00", "version": True},
        {"aggregate": "", "value": "1.00", "version": 1},
        {"aggregate": "revenue", "value": 1.5, "version": 1},  # a float
        {"aggregate": "revenue", "value": 2, "version": 1},  # a number: not the contract
        {"aggregate": "revenue", "value": "1e3", "version": 1},
        {"aggregate": "revenue", "value": "NaN", "version": 1},
        {"aggregate": "revenue", "value": "Infinity", "version": 1},
        {"aggregate": "revenue", "value": "twelve", "version": 1},
        {"aggregate": "revenue", "value": "9" * 100, "version": 1},
        {"aggregate": "revenue", "value": " 1.00", "version": 1},
        {"aggregate": "revenue", "value": "1_000", "version": 1},
        {"aggregate": "revenue", "value": "+1", "version": 1},
        {"aggregate": "revenue", "value": "1.", "version": 1},
        {"aggregate": "revenue", "value": "1.00\n", "version": 1},
    ],
)
def test_malformed_payloads_are_refused(payload: Any) -> None:
    assert read_aggregate_update(payload) is None


def test_initial_state_entries_carry_value_and_version() -> None:
    state = aggregate_state({"my_spent": AggregateValue(Decimal("0.00"), 7),
                             "avg_order": AggregateValue(None, 8)})
    assert state == {"my_spent": {"value": "0.00", "version": 7},
                     "avg_order": {"value": None, "version": 8}}
