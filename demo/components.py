"""The demo's live components: its tables, lists and charts, each naming a collection declared
on a model (demo/models.py); liveui keeps them true to the database in every tab."""

from __future__ import annotations

from liveui import LiveChart, LiveCollection

__all__ = [
    "AllActivity",
    "MyActivity",
    "MyCart",
    "MyOrders",
    "MyOrdersPerMinute",
    "MyTickets",
    "OrdersPerMinute",
    "PendingOrders",
    "PendingResellerRequests",
]

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


class OrdersPerMinute(LiveChart):
    """The admin dashboard's chart: every order, per minute, over the last 30 minutes."""

    name = "orders_per_minute"
    collection = "all_orders"
    title = "Orders per minute, last 30 minutes (all customers)"


class MyOrdersPerMinute(LiveChart):
    name = "my_orders_per_minute"
    collection = "my_orders"
    title = "Your orders per minute, last 30 minutes"
