"""The demo's live components: its tables, lists and charts, each naming a collection declared
on a model (demo/models.py); liveui keeps them true to the database in every tab."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from liveui import (
    Broadcast,
    EventRejected,
    LiveChart,
    LiveCollection,
    LiveComponent,
    LiveContext,
    Presence,
    choice,
    pages,
    search,
    sort,
)

__all__ = [
    "ORDER_VIEW",
    "AllActivity",
    "AllOrders",
    "MyActivity",
    "MyCart",
    "MyOrders",
    "MyOrdersPerMinute",
    "MyTickets",
    "OnlineInChat",
    "OrdersPerMinute",
    "PendingOrders",
    "PendingResellerRequests",
    "RevenueOverTime",
]

# The demo's live tables and lists: one class each, naming the collection declared on the model
# (demo/models.py), the row template and the frame; liveui keeps them true to the database.
ORDER_VIEW = (
    choice("status", "all", "pending", "completed", "cancelled", filter="status"),
    search("q"),
    sort("sort", "amount", "inserted", default="-inserted"),
    pages("pages"),
)
"""What a person may change of an order table: `?status=pending&q=desk&sort=-amount&pages=2`
("load more" is `pages`)."""


class MyOrders(LiveCollection):
    name = "my_orders"
    row_template = "rows/my_order.html"
    template = "frames/orders_table.html"
    rows_tag = "tbody"
    rows_class = ""
    limit = 20
    empty_text = "No orders to show. Press Place order, or change the filters."
    view_params = ORDER_VIEW


class AllOrders(LiveCollection):
    """The admin's table of everyone's orders, with the customer's username."""

    name = "all_orders"
    row_template = "rows/admin_order.html"
    template = "frames/admin_orders_table.html"
    rows_tag = "tbody"
    rows_class = ""
    limit = 50
    empty_text = "No orders match."
    view_params = ORDER_VIEW


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

    async def handle_event(self, event: str, data: Mapping[str, Any], ctx: LiveContext) -> None:
        """"copied": a row's Copy button (the CopyText hook, demo/static/hooks.js) copied a
        ticket; answer that tab's hooks, only for a ticket this list shows (its user's own)."""
        if event != "copied":
            await super().handle_event(event, data, ctx)
            return
        try:
            ticket = json.loads(str(data.get("payload", "")))["ticket"]
        except (ValueError, KeyError, TypeError):
            raise EventRejected(400, "copied: the payload names no ticket") from None
        if not any(row.key == ticket for row in self.rows):
            raise EventRejected(404, "No such ticket.")
        ctx.push_event("copied", {"ticket": ticket, "message": f"Copied ticket #{ticket}"})


class PendingResellerRequests(LiveCollection):
    name = "pending_reseller_requests"
    row_template = "rows/reseller_request.html"
    template = "frames/list.html"
    rows_class = "list"
    limit = 50
    empty_text = "No pending requests."


class MyActivity(LiveCollection):
    """The dashboard's live activity list: what happened to the user's data, newest first."""

    name = "my_activity"
    row_template = "rows/activity.html"
    template = "frames/list.html"
    rows_class = "activity-list"
    limit = 8
    empty_text = "Nothing yet. Place an order in another tab and watch this list."


class AllActivity(MyActivity):
    """The admin dashboard's: everyone's activity."""

    name = "all_activity"


CHART_RANGES = {"30m": (30 * 60, 60), "24h": (24 * 3600, 3600), "7d": (7 * 86400, 86400)}
"""The ranges a chart's `select[name=range]` offers: (seconds shown, seconds per bucket)."""


class OrdersPerMinute(LiveChart):
    """The admin dashboard's chart: every order per status, over the chosen range."""

    name = "orders_per_minute"
    collection = "all_orders"
    title = "Orders per status, all customers"
    group_by = "status"
    unit = "orders"
    ranges = CHART_RANGES
    range_labels = {"30m": "last 30 minutes, per minute", "24h": "last 24 hours, per hour",
                    "7d": "last 7 days, per day"}


class RevenueOverTime(LiveChart):
    """The admin's revenue chart: completed orders' amounts summed per bucket of the chosen
    range (integer cents on the server, dollars on the page), by the time each was placed."""

    name = "revenue_over_time"
    collection = "completed_orders"
    title = "Revenue, completed orders by the time they were placed"
    sum_of = "amount_cents"
    value_format = "money"
    value_scale = 100
    kind = "line"
    ranges = CHART_RANGES
    range_labels = OrdersPerMinute.range_labels


class MyOrdersPerMinute(LiveChart):
    name = "my_orders_per_minute"
    collection = "my_orders"
    title = "Your orders per minute, last 30 minutes"
    kind = "line"
    unit = "orders"


class OnlineInChat(LiveComponent):
    """The admin dashboard's "who is online in the chat", fed by the lobby's `Presence`: every
    node's entries, kept current by the presence diffs broadcast on the room's topic."""

    name = "online_in_chat"
    template = "online_in_chat.html"
    topic = "room:lobby"
    presence: ClassVar[Presence | None] = None
    """Set by the app (`demo/app.py`): the chat rooms' presence."""

    def __init__(self) -> None:
        super().__init__()
        self.state = {"people": []}

    def topics(self, user_id: Any) -> list[str]:
        return [self.topic]

    async def authorize(self, ctx: LiveContext) -> bool:
        # The lobby's presence is the admins' to watch (members see it in the chat itself).
        dispatch = ctx.dispatch
        if ctx.user_id is None or dispatch is None:
            return False
        return "admin" in await dispatch.counters.audiences_of(ctx.user_id)  # type: ignore[attr-defined]

    async def mount(self, ctx: LiveContext) -> None:
        self._read()

    def handle_info(self, message: Broadcast) -> bool:
        if message.event != "presence_diff":
            return False
        before = self.state
        self._read()
        return self.state != before

    def _read(self) -> None:
        state = self.presence.list(self.topic) if self.presence is not None else {}
        people = sorted(
            (str(metas["metas"][0].get("username", key)), len(metas["metas"]))
            for key, metas in state.items() if metas["metas"]
        )
        self.state = {"people": [{"username": u, "tabs": n} for u, n in people]}
