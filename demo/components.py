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
)

__all__ = [
    "AllActivity",
    "MyActivity",
    "MyCart",
    "MyOrders",
    "MyOrdersPerMinute",
    "MyTickets",
    "OnlineInChat",
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


class OrdersPerMinute(LiveChart):
    """The admin dashboard's chart: every order, per minute, over the last 30 minutes."""

    name = "orders_per_minute"
    collection = "all_orders"
    title = "Orders per minute, last 30 minutes (all customers)"


class MyOrdersPerMinute(LiveChart):
    name = "my_orders_per_minute"
    collection = "my_orders"
    title = "Your orders per minute, last 30 minutes"


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
