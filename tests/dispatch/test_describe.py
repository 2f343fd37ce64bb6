"""Introspection: what is declared, as SQL, with the index each counter wants."""

from __future__ import annotations

from liveui import DispatchSettings
from liveui.dispatch.describe import describe_counters
from tests.support.dispatch_schema import make_schema, settings_for


def test_describe_a_model_and_the_configured_models() -> None:
    schema = make_schema()
    admin, pending = describe_counters(schema.Order)  # sorted by name
    assert pending.name == "pending_orders"
    assert pending.owner == f"{schema.prefix}_orders.user_id"
    assert pending.triggers == ("delete", "insert", "update")
    assert "status = 'pending'" in pending.where
    assert pending.watched == ("status", "user_id")
    assert pending.index.endswith(f"ON {schema.prefix}_orders (user_id, status)")
    assert admin.name == "admin_pending_orders" and admin.owner is None
    assert admin.audience == "admin" and "admin_pending_orders" in str(admin)
    everything = describe_counters(settings_for(schema))
    assert [i.name for i in everything] == [
        "admin_pending_orders", "open_tickets", "pending_orders", "unread_notifications",
    ]
    unread = everything[-1]
    assert unread.owner == f"{schema.prefix}_notifications.user_id"
    assert unread.invalidates == ("notifications",)
    assert describe_counters(DispatchSettings()) == []
