"""The component list a page sends: nesting bounded before parsing, params that must be JSON."""

from __future__ import annotations

import base64
import json

import pytest

from liveui import LiveBadge, SpecError
from liveui.live.specs import MAX_DEPTH, decode_specs, encode_specs, parse_json


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_nesting_up_to_the_bound_parses_and_beyond_it_is_refused() -> None:
    assert parse_json(nested(MAX_DEPTH)) is not None
    with pytest.raises(ValueError, match="nested too deeply"):
        parse_json(nested(MAX_DEPTH + 1))
    # Many brackets side by side are not nesting: counted, then walked, and accepted.
    assert len(parse_json("[" + ",".join(["[]"] * (MAX_DEPTH * 4)) + "]")) == MAX_DEPTH * 4


def test_a_too_deep_component_list_is_a_spec_error() -> None:
    deep = {"c": "live_badge", "p": {"counter": "x", "extra": json.loads(nested(MAX_DEPTH))}}
    encoded = base64.urlsafe_b64encode(json.dumps([deep]).encode()).decode()
    with pytest.raises(SpecError, match="not base64url JSON"):
        decode_specs(encoded, limit=64)
    ok = decode_specs(encode_specs([LiveBadge("pending_orders").spec()]), limit=64)
    assert [component.params for component, _ in ok] == [{"counter": "pending_orders"}]


def test_params_that_are_not_json_are_refused_and_equal_params_share_one_string() -> None:
    with pytest.raises(SpecError, match="JSON-serializable"):
        LiveBadge("pending_orders", id={"not", "json"})  # type: ignore[arg-type]
    one, two = LiveBadge("pending_orders"), LiveBadge("pending_orders")
    assert one.id == two.id and one._params_json is two._params_json  # interned
