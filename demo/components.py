"""The demo's live components: its tables and lists, and one written by hand.

`ActivityFeed` keeps, per tab, the last few things that happened to the user since the page was
opened (counter changes, new notifications) and offers a "Clear" button: server-held state,
`handle_info` for dispatch events, `handle_event` for a user action.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from liveui import Broadcast, LiveChart, LiveCollection, LiveComponent, LiveContext

__all__ = [
    "ActivityFeed",
    "MyCart",
    "MyOrders",
    "MyOrdersPerMinute",
    "MyTickets",
    "OrdersPerMinute",
    "PendingOrders",
    "PendingResellerRequests",
]

LABELS = {
    "pending_orders": "Pending orders",
    "cart_items": "Items in cart",
    "active_tickets": "Open tickets",
    "unread_notifications": "Unread notifications",
    "admin_pending_orders": "Pending orders (all users)",
    "admin_pending_reseller_requests": "Reseller requests",
}


class ActivityFeed(LiveComponent):
    name = "activity_feed"
    template = "activity_feed.html"
    params_schema = {"limit": int, "id": str}

    def __init__(self, limit: int = 6, id: str | None = None) -> None:
        if not isinstance(limit, int) or not 1 <= limit <= 20:
            raise TypeError("limit must be an integer from 1 to 20")
        params: dict[str, Any] = {"limit": limit}
        if id is not None:
            params["id"] = id
        super().__init__(**params)
        self.state = {"items": []}

    async def mount(self, ctx: LiveContext) -> None:
        self.state = {"items": []}  # "since you opened this page"

    def handle_info(self, message: Broadcast) -> bool:
        payload = message.payload if isinstance(message.payload, dict) else {}
        if message.event == "counter_updated":
            name = str(payload.get("counter", ""))
            text = f"{LABELS.get(name, name)}: now {payload.get('value')}"
        elif message.event == "new_notification":
            text = f"New notification: {payload.get('title', '')}"
        elif message.event == "all_notifications_read":
            text = "All notifications marked as read"
        else:
            return False
        at = datetime.now(UTC).strftime("%H:%M:%S")
        items = [{"text": text, "at": at}, *self.state["items"]][: int(self.params["limit"])]
        self.state = {"items": items}
        return True

    async def handle_event(self, event: str, data: Mapping[str, Any], ctx: LiveContext) -> None:
        if event != "clear":
            await super().handle_event(event, data, ctx)
        self.state = {"items": []}


# The demo's live tables and lists: one class each, naming the collection declared on the model
# (demo/models.py), the row template and the frame; liveui keeps them true to the database.
class MyOrders(LiveCollection):
    name = "my_orders"
    row_template = "rows/my_order.html"
    template = "frames/orders_table.html"
    rows_tag = "tbody"
    rows_class = ""
    limit = 20
    empty_text = "No orders yet. Press Place order and watch the badge."


class PendingOrders(LiveCollection):
    name = "pending_orders"
    row_template = "rows/pending_order.html"
    template = "frames/pending_orders_table.html"
    rows_tag = "tbody"
    rows_class = ""
    limit = 50
    empty_text = "No pending orders."


class MyCart(LiveCollection):
    name = "my_cart"
    row_template = "rows/cart_item.html"
    template = "frames/list.html"
    rows_class = "list"
    limit = 50
    empty_text = "Your cart is empty."


class MyTickets(LiveCollection):
    name = "my_tickets"
    row_template = "rows/ticket.html"
    template = "frames/list.html"
    rows_class = "list"
    limit = 20
    empty_text = "No tickets. Nice."


class PendingResellerRequests(LiveCollection):
    name = "pending_reseller_requests"
    row_template = "rows/reseller_request.html"
    template = "frames/list.html"
    rows_class = "list"
    limit = 50
    empty_text = "No pending requests."


class OrdersPerMinute(LiveChart):
    """The admin dashboard's chart: every order, per minute, over the last 30 minutes."""

    name = "orders_per_minute"
    collection = "all_orders"
    title = "Orders per minute, last 30 minutes (all customers)"


class MyOrdersPerMinute(LiveChart):
    name = "my_orders_per_minute"
    collection = "my_orders"
    title = "Your orders per minute, last 30 minutes"
