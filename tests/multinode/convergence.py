"""The pieces of the convergence test: what the database says, what a tab shows, the actions.

- `read_truth`: every counter and aggregate of every user and their notifications, computed
  with SQL straight from the tables, after the declarations in demo/models.py (never asked of a
  node), and every order, for the order tables a tab shows in the view its URL names.
- `Tab`: one browser tab of a user on a node; `snapshot()` reads its badges, its KPI tiles, its
  notification list and its connection state from the DOM; `disagreements()` compares that
  with the truth.
- `plan` and `Workload`: a seeded random list of demo actions, run over HTTP from a few threads
  through `ShopUser` clients of both nodes, so the recounts of the two nodes interleave.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page

from .cluster import ShopUser, SqlReader

__all__ = [
    "AGGREGATES",
    "COUNTERS",
    "NOTIFICATION_LIMIT",
    "Action",
    "Tab",
    "Truth",
    "Workload",
    "converged_within",
    "plan",
    "read_truth",
]

# The truth --------------------------------------------------------------------------------------
COUNTERS: dict[str, str] = {
    # Order.__counters__: pending_orders (owner), admin_pending_orders (audience "admin")
    "pending_orders": "SELECT count(*) FROM orders WHERE user_id = u.id AND status = 'pending'",
    "admin_pending_orders": "SELECT count(*) FROM orders WHERE status = 'pending'",
    # CartItem.__counters__
    "cart_items": "SELECT count(*) FROM cart_items WHERE user_id = u.id",
    # Ticket.__counters__
    "active_tickets": "SELECT count(*) FROM tickets WHERE user_id = u.id AND status = 'open'",
    # ResellerRequest.__counters__ (audience "admin")
    "admin_pending_reseller_requests": (
        "SELECT count(*) FROM reseller_requests WHERE status = 'pending'"
    ),
    # liveui's own counter of the notification model (the bell)
    "unread_notifications": (
        "SELECT count(*) FROM liveui_notifications WHERE user_id = u.id AND NOT read"
    ),
}
"""Each counter as SQL over a user row `u`, written from its declaration in demo/models.py."""
ADMIN_COUNTERS = frozenset({"admin_pending_orders", "admin_pending_reseller_requests"})
"""The counters of the "admin" audience (`users.is_admin`): other users have no badge for them."""
NAV_COUNTERS = ("pending_orders", "cart_items", "active_tickets", "unread_notifications")
"""The badges every page's top bar shows (base.html), the bell's included."""
NOTIFICATION_LIMIT = 10
"""base.html: `notification_dropdown(limit=10)`, newest first."""

AGGREGATES: dict[str, str] = {
    # Order.__aggregates__ (amount_cents, scale=2): my_spent (owner), revenue and avg_order
    # (audience "admin"); SQL's own SUM and AVG, in cents
    "my_spent": (
        "SELECT COALESCE(SUM(amount_cents), 0) FROM orders"
        " WHERE user_id = u.id AND status = 'completed'"
    ),
    "revenue": "SELECT COALESCE(SUM(amount_cents), 0) FROM orders WHERE status = 'completed'",
    "avg_order": "SELECT AVG(amount_cents) FROM orders WHERE status = 'completed'",
}
"""Each aggregate as SQL over a user row `u`, written from its declaration in demo/models.py."""
ADMIN_AGGREGATES = frozenset({"revenue", "avg_order"})
PAGE_METRICS: dict[str, tuple[str, ...]] = {
    "/orders": ("my_spent",), "/admin": ("revenue", "avg_order"),
}
"""The KPI tiles each demo page shows (orders.html, admin.html)."""


def dollars(cents: Any) -> str | None:
    """An aggregate in cents as the tile's exact `data-value`: dollars, two places, half-even
    (the rounding `aggregate(..., places=2)` declares); None for the average of nothing."""
    if cents is None:
        return None
    return str((Decimal(cents) / 100).quantize(Decimal("0.01"), ROUND_HALF_EVEN))


def shown_dollars(value: str | None) -> str:
    """The tile's text for a `data-value`: `$1,234.50`; the demo's empty format is `$0.00`."""
    return f"${Decimal(value or 0):,.2f}"


ORDER_TABLES = {"/orders": 20, "/admin/orders": 50}
"""The pages showing one live order table (filtered by their URL), with its page size."""


@dataclass(frozen=True)
class OrderRow:
    id: int
    username: str
    item: str
    amount_cents: int
    status: str


@dataclass(frozen=True)
class Truth:
    counters: dict[str, dict[str, int]]
    """username -> counter -> value"""
    admins: frozenset[str]
    read: dict[str, dict[str, bool]]
    """username -> notification id -> read, every notification of the user"""
    recent: dict[str, list[str]]
    """username -> the ids the dropdown lists: the newest `NOTIFICATION_LIMIT`"""
    orders: list[OrderRow] = field(default_factory=list)
    aggregates: dict[str, dict[str, str | None]] = field(default_factory=dict)
    """username -> aggregate -> exact value in dollars ("1234.50"; None: nothing averaged)"""

    def order_table(self, user: str, path: str) -> list[int] | None:
        """The order ids the table of `path` (its view in the query: status, q, sort) lists
        for `user`, in order; None when the page has no order table."""
        parts = urlsplit(path)
        limit = ORDER_TABLES.get(parts.path)
        if limit is None:
            return None
        view = {k: v[0] for k, v in parse_qs(parts.query).items()}
        status, q = view.get("status", "all"), view.get("q", "").strip().lower()
        sort = view.get("sort", "-inserted")
        rows = [o for o in self.orders
                if (parts.path != "/orders" or o.username == user)
                and status in ("all", o.status)
                and (q in o.item.lower() or (parts.path != "/orders" and q in o.username))]
        column = "amount_cents" if sort.lstrip("-") == "amount" else "id"
        rows.sort(key=lambda o: (getattr(o, column), o.id), reverse=sort.startswith("-"))
        return [o.id for o in rows[:limit]]

    def expected_aggregates(self, user: str) -> dict[str, str | None]:
        values = self.aggregates.get(user, {})
        if user in self.admins:
            return dict(values)
        return {name: v for name, v in values.items() if name not in ADMIN_AGGREGATES}

    def expected(self, user: str) -> dict[str, int]:
        """The counters a page of `user` has badges for, with their values."""
        values = self.counters[user]
        if user in self.admins:
            return dict(values)
        return {name: n for name, n in values.items() if name not in ADMIN_COUNTERS}


def read_truth(sql: SqlReader) -> Truth:
    columns = ", ".join(
        f'({query}) AS "{name}"' for name, query in (*COUNTERS.items(), *AGGREGATES.items())
    )
    rows = sql.fetch(f"SELECT u.username, u.is_admin, {columns} FROM users u")
    counters = {row["username"]: {name: int(row[name]) for name in COUNTERS} for row in rows}
    aggregates = {
        row["username"]: {name: dollars(row[name]) for name in AGGREGATES} for row in rows
    }
    admins = frozenset(row["username"] for row in rows if row["is_admin"])
    read: dict[str, dict[str, bool]] = {row["username"]: {} for row in rows}
    recent: dict[str, list[str]] = {row["username"]: [] for row in rows}
    notifications = sql.fetch(
        "SELECT u.username, n.id, n.read FROM liveui_notifications n"
        " JOIN users u ON u.id = n.user_id ORDER BY n.inserted_at DESC, n.id DESC"
    )
    for row in notifications:
        user = row["username"]
        read[user][row["id"]] = bool(row["read"])
        if len(recent[user]) < NOTIFICATION_LIMIT:
            recent[user].append(row["id"])
    orders = [OrderRow(int(r["id"]), r["username"], r["item"], int(r["amount_cents"]),
                       r["status"]) for r in sql.fetch(
        "SELECT o.id, u.username, o.item, o.amount_cents, o.status FROM orders o"
        " JOIN users u ON u.id = o.user_id")]
    return Truth(counters, admins, read, recent, orders, aggregates)


# The tabs ---------------------------------------------------------------------------------------
SNAPSHOT = """() => {
  const live = window.liveui;
  const conn = live && (live.config.transport === 'ws' ? live.socket : live.source);
  const list = document.querySelectorAll('#liveui-notifications-list [data-notification-id]');
  return {
    sameDocument: window.__sameDocument === true,
    connected: !!conn && conn.readyState === 1,
    badges: Array.from(document.querySelectorAll('[data-counter]'),
                       e => [e.id, e.getAttribute('data-counter'), e.textContent.trim()]),
    metrics: Array.from(document.querySelectorAll('[data-metric]'),
                        e => [e.getAttribute('data-metric'), e.getAttribute('data-value'),
                              e.textContent.trim()]),
    notifications: Array.from(list, e => [e.getAttribute('data-notification-id'),
                                          e.hasAttribute('data-unread')]),
    orders: Array.from(document.querySelectorAll('tr[data-order-id]'),
                       e => Number(e.getAttribute('data-order-id'))),
    url: location.pathname + location.search,
  };
}"""

CONNECTED = """() => {
  const live = window.liveui;
  const conn = live && (live.config.transport === 'ws' ? live.socket : live.source);
  return !!conn && conn.readyState === 1;
}"""


@dataclass
class Tab:
    user: str
    node: str
    """"A" or "B" """
    transport: str
    path: str
    page: Page

    @property
    def label(self) -> str:
        return f"{self.user}@{self.node}({self.transport}) {self.path}"

    def snapshot(self) -> dict[str, Any]:
        found: dict[str, Any] = self.page.evaluate(SNAPSHOT)
        return found

    def connected(self) -> bool:
        return self.page.evaluate(CONNECTED) is True

    def disagreements(self, truth: Truth, snapshot: dict[str, Any] | None = None) -> list[str]:
        """What this tab shows that the database does not say, one line each (none: agreed)."""
        shown = snapshot if snapshot is not None else self.snapshot()
        expected = truth.expected(self.user)
        out: list[str] = []
        if not shown["sameDocument"]:
            out.append("the page was reloaded (it must reconnect by itself)")
        seen: set[str] = set()
        for element_id, name, text in shown["badges"]:
            seen.add(name)
            what = "bell" if element_id == "liveui-notifications-count" else "counter"
            if name not in COUNTERS:
                out.append(f"{what} {name} (#{element_id}): no SQL truth for this counter")
            elif name not in expected:
                out.append(f"{what} {name} (#{element_id}): shown {text}, not in this audience")
            elif text != str(expected[name]):
                out.append(
                    f"{what} {name} (#{element_id}): shown {text}, database {expected[name]}"
                )
        wanted = {*NAV_COUNTERS, *(ADMIN_COUNTERS if self.user in truth.admins else ())}
        out.extend(f"counter {name}: no badge on the page" for name in sorted(wanted - seen))
        out.extend(self._metric_disagreements(truth, shown["metrics"]))
        read = truth.read[self.user]
        listed = [nid for nid, _ in shown["notifications"]]
        for nid, unread in shown["notifications"]:
            if nid not in read:
                out.append(f"notification {nid}: listed, not in the database")
            elif unread == read[nid]:
                state = ("unread", "read")
                out.append(
                    f"notification {nid}: shown {state[not unread]}, database {state[read[nid]]}"
                )
        table = truth.order_table(self.user, self.path)
        if table is not None:
            if shown["url"] != self.path:
                out.append(f"the address bar shows {shown['url']}, not the tab's view")
            if shown["orders"] != table:
                out.append(f"order table: shown {shown['orders']}, its view's SQL {table}")
        recent = truth.recent[self.user]
        missing = [nid for nid in recent if nid not in listed]
        extra = [nid for nid in listed if nid in read and nid not in recent]
        if missing or extra:
            out.append(
                f"notification list: {len(listed)} listed, the newest {len(recent)} in the"
                f" database; missing {missing or '-'}, not among the newest {extra or '-'}"
            )
        return out


    def _metric_disagreements(self, truth: Truth, metrics: list[list[str]]) -> list[str]:
        expected = truth.expected_aggregates(self.user)
        out: list[str] = []
        seen: set[str] = set()
        for name, value, text in metrics:
            seen.add(name)
            if name not in AGGREGATES:
                out.append(f"tile {name}: no SQL truth for this aggregate")
            elif name not in expected:
                out.append(f"tile {name}: shown {text}, not in this audience")
            elif (value or None) != expected[name] or text != shown_dollars(expected[name]):
                out.append(f"tile {name}: shown {text} ({value!r}), database "
                           f"{shown_dollars(expected[name])} ({expected[name]!r})")
        wanted = set(PAGE_METRICS.get(self.path, ()))
        out.extend(f"aggregate {name}: no tile on the page" for name in sorted(wanted - seen))
        return out


def converged_within(tabs: Sequence[Tab], truth: Truth, deadline: float) -> float:
    """Poll every tab's DOM until all agree with `truth`; fail at `deadline` (monotonic) with a
    diff per tab. Returns the monotonic time at which they all agreed."""
    while True:
        snapshots = [(tab, tab.snapshot()) for tab in tabs]
        wrong = [(tab, shot, tab.disagreements(truth, shot)) for tab, shot in snapshots]
        wrong = [entry for entry in wrong if entry[2]]
        if not wrong:
            return time.monotonic()
        if time.monotonic() >= deadline:
            lines = [f"{len(wrong)} of {len(tabs)} tabs disagree with the database:"]
            for tab, shot, problems in wrong:
                state = "connected" if shot["connected"] else "NOT CONNECTED"
                lines.append(f"  tab {tab.label} [{state}]")
                lines.extend(f"      {problem}" for problem in problems)
            raise AssertionError("\n".join(lines))
        time.sleep(0.05)  # polling the DOM: the next read may show the patch that arrived


# The actions ------------------------------------------------------------------------------------
USER_ACTIONS = {
    "place_order": 10,
    "cancel_order": 5,
    "add_to_cart": 10,
    "remove_from_cart": 8,
    "open_ticket": 6,
    "close_ticket": 5,
    "request_reseller": 3,
    "mark_read": 6,
    "mark_all_read": 2,
}
"""What any user does (admin included), with relative weights."""
ADMIN_ACTIONS = {"complete_order": 8, "admin_cancel_order": 4, "approve_reseller": 4}
"""What only the admin does; each one notifies the order's or the request's owner."""


@dataclass(frozen=True)
class Action:
    kind: str
    user: str
    node: str
    """"a" or "b": which node's HTTP client sends it"""


def plan(
    rng: random.Random, count: int, users: Sequence[str], nodes: str, admin: str = "admin"
) -> list[Action]:
    """`count` actions of random kinds by random users through random nodes (of `nodes`)."""
    kinds = {**USER_ACTIONS, **ADMIN_ACTIONS}
    names, weights = list(kinds), list(kinds.values())
    actions = []
    for _ in range(count):
        kind = rng.choices(names, weights)[0]
        user = admin if kind in ADMIN_ACTIONS else rng.choice(users)
        actions.append(Action(kind, user, rng.choice(nodes)))
    return actions


TARGETED: dict[str, tuple[str, str, str]] = {
    # kind: (the rows it may act on, the ShopUser method, the kind to run when there are none)
    "cancel_order": (
        "SELECT id FROM orders WHERE user_id = $1 AND status = 'pending'", "cancel_order",
        "place_order"),
    "complete_order": (
        "SELECT id FROM orders WHERE status = 'pending'", "complete_order", "place_order"),
    "admin_cancel_order": (
        "SELECT id FROM orders WHERE status = 'pending'", "admin_cancel_order", "place_order"),
    "remove_from_cart": (
        "SELECT id FROM cart_items WHERE user_id = $1", "remove_from_cart", "add_to_cart"),
    "close_ticket": (
        "SELECT id FROM tickets WHERE user_id = $1 AND status = 'open'", "close_ticket",
        "open_ticket"),
    "approve_reseller": (
        "SELECT id FROM reseller_requests WHERE status = 'pending'", "approve_reseller",
        "request_reseller"),
    "mark_read": (
        "SELECT id FROM liveui_notifications WHERE user_id = $1 AND NOT read", "mark_read",
        "mark_all_read"),
}


@dataclass
class Workload:
    """Runs planned actions over HTTP: `clients[user][node]` sends them, `sql` picks the rows
    they act on (a random one of the sorted candidates, from each thread's own seeded random)."""

    clients: dict[str, dict[str, ShopUser]]
    user_ids: dict[str, int]
    sql: SqlReader
    seed: int
    threads: int = 4
    done: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, phase: str, actions: Sequence[Action]) -> None:
        """Split `actions` round-robin over the threads (each thread's order is fixed by the
        seed, only their interleaving is not) and wait for all of them."""
        errors: list[str] = []

        def work(index: int) -> None:
            rng = random.Random(f"{self.seed}:{phase}:{index}")
            for action in actions[index :: self.threads]:
                try:
                    ran = self.execute(action, rng)
                except Exception as exc:
                    with self._lock:
                        errors.append(f"{action}: {exc!r}")
                    return
                with self._lock:
                    self.done[f"{ran}@{action.node}"] += 1

        workers = [
            threading.Thread(target=work, args=(i,), name=f"{phase}-{i}")
            for i in range(self.threads)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(120)
        assert not any(w.is_alive() for w in workers), f"{phase}: actions still running"
        assert not errors, f"{phase}: actions failed (seed {self.seed}):\n" + "\n".join(errors)

    def _pick(self, rng: random.Random, query: str, *args: Any) -> Any:
        ids = self.sql.ids(query, *args)
        return rng.choice(ids) if ids else None

    def execute(self, action: Action, rng: random.Random) -> str:
        """Send one action; returns the kind that ran (one that creates a row when there is
        nothing to act on: no pending order to cancel places one)."""
        shop = self.clients[action.user][action.node]
        uid = self.user_ids[action.user]
        kind = action.kind
        targeted = TARGETED.get(kind)
        if targeted is not None:
            query, method, fallback = targeted
            args = (uid,) if "$1" in query else ()
            found = self._pick(rng, query, *args)
            if found is not None:
                getattr(shop, method)(found)
                return kind
            kind = fallback
        getattr(shop, kind)()
        return kind
