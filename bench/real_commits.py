"""Real commits on a real page: the demo's /orders page in N tabs, a real order placed through the
app, against a hand-written Starlette app doing the same page update in the same run.

    python -m bench.real_commits --transport sse|ws --tabs N --users U [--commits M] [--runs R]
                                 [--profile cpu|mem]

Issue 29: tab updates per server CPU-second of a commit made through the app (not a broadcast),
memory per open tab, writes per tab per commit, latency, next to a hand-written baseline.

Each run is a pair of sides, liveui then the baseline, each a fresh server subprocess pinned to
CPU 0 (`bench.measure.start_pinned_server`; this process and every tab are on CPU 1), each on
its own copy of one seeded SQLite file:

- liveui: the demo itself, `demo.app.create_app(DemoConfig)` on a fresh data directory, memory
  pub/sub, a fixed secret, the chosen live transport, served by uvicorn with liveui's protocols
  and limits as `python -m demo` serves it (`liveui.uvicorn_options()`: its HTTP protocol with the
  default `HttpLimits`, its WebSocket protocol, `ws_max_size`). The demo's activity simulator is
  never started (only an admin's POST /admin/simulate starts it; the health probe checks).
- baseline: what a competent team writes without liveui, in this file (`build_baseline`):
  Starlette on stock uvicorn (`bench.servers.serve(stock=True)`: uvicorn's httptools and its
  websockets-sansio WebSocket), the same models, the same seeded data, Starlette's signed-cookie
  session with a CSRF token, the page rendered with Jinja2 (the same nav badges, bell and
  dropdown of notifications, page badge, spent metric, filters and 20-row table with "load
  more"), SSE through sse-starlette's `EventSourceResponse` (its default pings, a 30 s send
  timeout) or a Starlette WebSocket, one bounded `asyncio.Queue` (256) per tab; a tab whose
  queue is full is disconnected. `POST /orders/place` checks the CSRF token, runs the demo's own
  `services.place_order` (the same insert, activity row and commit), recounts that user's
  counters in one query (which also finds the row that falls off the 20 shown), renders ONE
  update with Jinja2 (both `pending_orders` badges, the new row on top and the deletion of the
  row that fell off, as htmx out-of-band swaps: the page change liveui's patches make) and puts
  it on each of that user's tabs' queues: one event or frame per tab per commit. It redirects
  303 with a flash, like the demo. Its templates are in `bench/real_commits_templates/`.

Both servers run uvicorn with a listen backlog of 8192, WebSocket keepalive pings off (as in
`bench.servers`: a 20-second ping cycle landing in a measured window or not is noise; the tabs
send none either) and the interpreter's default GC thresholds (`python -m demo` raises them).

Data (seeded once per invocation with the demo's own `seed` and `hash_password`): the demo's
users, plus `user1..userU` (password "demo"), each with 30 orders (so the table shows 20 rows
and "load more"), 2 cart items, an open and a closed ticket, and 5 notifications (3 unread).

Tabs: each user logs in through the real form (liveui: GET /login for the CSRF token, POST
/login with it, 303; the baseline: GET /login?user=), then one GET /orders settles the session's
CSRF token. Per tab, with at most 32 tabs opening at once: GET /orders with the user's cookie,
then, parsed from that HTML exactly as liveui.js reads it, the live connection: the URL and
token of `<meta name="liveui">` and `c=` the base64url JSON of every `[data-live]` element's
(type, params, etag), deduplicated by id; SSE through a raw asyncio protocol (chunked transfer
decoding, events parsed as a browser does), WebSocket through the `websockets` library's sans-I/O
client protocol on a bare asyncio protocol (its asyncio client, a task and a queue per
connection, made the clients' core the bottleneck at 3,000 tabs), both sending the cookie, the
WebSocket an Origin. A tab is open at its first event (liveui's id marker; the baseline's ready
event, sent once its queue is registered). N tabs are spread
evenly over the U users; 10 warm-up tabs of alice open first (and stay open; alice commits
nothing).

Memory: the server's RSS is read after the warm-up tabs and once all N tabs are open, their
page clients closed (no idle keep-alive connection left) and the server quiet (no event to any
tab for half a second while the server used under 50 ms of CPU in it: its background work,
heartbeats and anti-entropy, goes on). KB per tab = RSS growth / N: a tab's page request (the
HTTP session, the page liveui prepared) and its live connection and session.

Commits: 2 warm-up waves, then M measured waves. In a wave every user places one order through
the no-JavaScript form, `POST /orders/place` with the CSRF token and cookie (303 expected); the
new order's id and the user's pending count are then read from the database file. A tab has
received its user's commit when its stream carried the new row (`data-order-id="<id>"`) and,
for every `pending_orders` badge of its page, an element of that id with the new count for text
(what an htmx out-of-band swap of it shows); the wave ends when
every tab received its user's commit (60 s, else the bench fails naming the tabs missing).
Over the measured waves: the server's CPU seconds (/proc, user + system), tab updates = N x M,
latency from sending the POST to the tab's receipt (the last of the row and badges, p50/p99),
and per tab per commit the writes and bytes. A write is one SSE event (a block of `data:` lines
closed by a blank line; comment-only blocks, the pings, are counted apart) or one WebSocket
message (liveui's `<!--live:ping-->` frames counted apart); bytes are the SSE body after
chunked decoding (every byte of the event stream, pings included) or the WebSocket messages'
UTF-8 payloads. One tab's stream for the first measured commit is printed.

Lifted, and printed: `LiveSettings.max_sessions_per_user` (32) is raised to the tabs per user
when that is larger, by building the demo's `LiveUI` with those settings (the bench wraps
`demo.app.LiveUI`; the demo's files are not changed). Nothing else: `HttpLimits` stay the
defaults (at most 32 tabs opening, or POSTs in flight, at once: below
`max_pending_per_address` = 64), no login fails (the throttle counts failures only); bounded
outboxes and 1013 for slow clients, the action budget, revocation checks, the origin check and
anti-entropy stay on. Anti-entropy verifies each session `verify_interval` (60 s) after it was
last verified (its opening first), 20 per tick: a measured window that reaches past that pays
for it, as a server at steady state does; the liveui detail line says how many sessions were
verified during the waves (`verified_in_waves`).

`--runs R` repeats the pair R times; every figure is printed as the range over the runs (min-max),
never a best run. `--profile cpu` runs cProfile in the liveui server over the measured waves
and prints its top functions (the database's own thread, aiosqlite's, is not in it, and what
SQLAlchemy runs in its greenlets shows largely as `greenlet_spawn`'s own time); `--profile
mem` runs tracemalloc in the liveui server over the tab-opening phase and prints the growth per
tab by file and by line (its RSS figures are then meaningless). A profiled run measures one
side: liveui, or the baseline with `--profile-side baseline`.

The CPU the rest of the machine used during the measured waves is read from /proc/stat (user
and system time of all CPUs less the server's and this process's): another bench on the same
cores makes a run's latencies meaningless and may inflate its CPU figures (the server's own CPU
time, but with its caches shared), and such a run is flagged (a WARNING line, `others_cpu_s` in
its detail line, `disturbed_runs=` in the summary).

Prints, last lines:
    lifted: ...
    liveui: tabs=N users=U transport=T kb_per_tab=a-b updates_per_cpu_s=c-d
            writes_per_tab_commit=e bytes_per_tab_commit=f p50_ms=g p99_ms=h   (one line)
    baseline: ...the same fields...
    ratio_updates_per_cpu_s=x-y (liveui / baseline) ratio_kb_per_tab=v-w (liveui / baseline)
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import functools
import html
import json
import math
import os
import re
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.measure import (
    CLK_TCK,
    CONTROL_LIMITS,
    cpu_seconds,
    percentile,
    rss_kb,
    run_clients,
    start_pinned_server,
    stop_pinned_server,
)

SECRET = "bench-real-commits-secret-key-32-characters-long"
PASSWORD = "demo"
WARM_USER = "alice"
WARM_TABS = 10
ORDERS_PER_USER = 30
OPEN_CONCURRENCY = 32
"""Tabs opening at once (page GET + live connection), and POSTs of a wave in flight at once:
below `HttpLimits.max_pending_per_address` (64), which stays on."""
WARM_WAVES = 2
WAVE_TIMEOUT = 60.0
TAB_TIMEOUT = 60.0
QUEUE_SIZE = 256
"""The baseline's per-tab queue: liveui's `LiveSettings.max_pending` is 256 too."""
SEND_TIMEOUT = 30.0
"""The baseline's SSE send timeout: liveui's stream has the same."""
BACKLOG = 8192
DISTURBED = 0.05
"""CPU seconds per second of the measured waves that other processes may use before the run
is flagged as disturbed."""
QUIET_CPU = 0.05
"""Server CPU seconds in half a second below which it counts as quiet."""
ORDER_RE = re.compile(r'data-order-id="(\d+)"')
PENDING_BADGE_RE = re.compile(
    r'<[a-z]+\b[^>]*?\bid="([^"]+)"[^>]*?\bdata-counter="pending_orders"[^>]*>\s*(\d+)\s*<'
)
"""A `pending_orders` badge of the page: its element id and value."""
NUMBER_RE = re.compile(r'<[a-z]+\b[^>]*?\bid="([^"]+)"[^>]*>\s*(\d+)\s*<')
"""An element with an id and a number for text, in a stream: a badge of the page's is taken as
received when an element of its id comes with the new count (whatever its other attributes)."""
LIVE_TAG_RE = re.compile(r'<[a-zA-Z][^>]*?\sdata-live="[^"]*"[^>]*>')
ATTR_RE = re.compile(r'([a-zA-Z_:][-a-zA-Z0-9_:.]*)="([^"]*)"')
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
META_RE = re.compile(r'<meta name="liveui"[^>]*>')
WS_PING = "<!--live:ping-->"


# data ------------------------------------------------------------------------------------------
async def seed_database(path: Path, users: int) -> None:
    """The demo's seed, then `user1..userU` with their orders, cart, tickets, notifications."""
    from demo.db import make_async_engine, make_sessionmaker
    from demo.models import Base, CartItem, Notification, Order, Ticket, User, hash_password
    from demo.seed import seed
    from demo.services import PRODUCTS

    engine = make_async_engine(f"sqlite:///{path}")
    sessions = make_sessionmaker(engine)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        await seed(sessions)
        password = hash_password(PASSWORD)  # one hash for all, as the demo's seed does
        now = datetime.now(UTC).replace(tzinfo=None)
        async with sessions() as session:
            people = [User(username=f"user{i}", display_name=f"Bench User {i}",
                           password_hash=password) for i in range(1, users + 1)]
            session.add_all(people)
            await session.flush()
            rows: list[Any] = []
            for person in people:
                for i in range(ORDERS_PER_USER):
                    item, cents = PRODUCTS[(person.id + i) % len(PRODUCTS)]
                    status = ("completed" if i % 5 == 0 else "cancelled" if i % 7 == 3
                              else "pending")
                    rows.append(Order(user_id=person.id, item=item, amount_cents=cents,
                                      status=status,
                                      inserted_at=now - timedelta(hours=ORDERS_PER_USER - i)))
                rows += [CartItem(user_id=person.id, name="Wireless mouse"),
                         CartItem(user_id=person.id, name="Laptop stand", quantity=2),
                         Ticket(user_id=person.id, subject="Delivery is late"),
                         Ticket(user_id=person.id, subject="Need a VAT receipt", status="closed")]
                for i, (kind, title) in enumerate([
                    ("info", "Welcome to the shop"), ("success", "Order completed"),
                    ("warning", "Password expires soon"), ("info", "New arrivals"),
                    ("success", "Refund processed"),
                ]):
                    rows.append(Notification(
                        user_id=person.id, type=kind, title=title,
                        message="Thanks for shopping with us.", read=i >= 3,
                        action_label="View orders", action_url="/orders",
                        inserted_at=datetime.now(UTC) - timedelta(minutes=10 * (5 - i))))
            session.add_all(rows)
            await session.commit()
    finally:
        await engine.dispose()


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy (the backup API: no WAL file left behind)."""
    with contextlib.closing(sqlite3.connect(source)) as src, \
            contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def machine_cpu() -> tuple[float, float]:
    """(user + system, steal) CPU seconds of the whole machine, all CPUs (/proc/stat; interrupt
    time, the loopback traffic's included, is left out: no process is charged for it)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    user, nice, system, steal = fields[0], fields[1], fields[2], fields[7]
    return (user + nice + system) / CLK_TCK, steal / CLK_TCK


class Disturbance:
    """CPU the machine spent on anything but this bench's server and clients over a window:
    another bench on the same cores makes that window's figures meaningless."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.start = self.read()

    def read(self) -> tuple[float, float]:
        busy, steal = machine_cpu()
        return busy - cpu_seconds(self.pid) - cpu_seconds(os.getpid()), steal

    def seconds(self) -> tuple[float, float]:
        """(CPU seconds of other processes, steal seconds) since the start."""
        others, steal = self.read()
        return max(0.0, others - self.start[0]), steal - self.start[1]


def disturbed(others: float, elapsed: float) -> bool:
    """Whether other processes used more than `DISTURBED` of a window (beyond the clock-tick
    error of the four /proc readings)."""
    return others > DISTURBED * elapsed + 0.05


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# the servers -----------------------------------------------------------------------------------
def bench_routes(health: Callable[[], dict[str, Any]], profile: str | None) -> list[Any]:
    """/bench/health, and the profiler's /bench/profile or /bench/memory."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from bench.profiling import cpu_profile_endpoint, memory_endpoint

    async def health_route(request: Request) -> Response:
        return JSONResponse(health())

    routes = [Route("/bench/health", health_route)]
    if profile == "cpu":
        routes.append(Route("/bench/profile", cpu_profile_endpoint(), methods=["POST"]))
    if profile == "mem":
        tabs = memory_endpoint("tab", lambda request: int(request.query_params.get("tabs", "1")))
        routes.append(Route("/bench/memory", tabs, methods=["POST"]))
    return routes


def build_liveui(data_dir: Path, transport: str, cap: int, profile: str | None) -> Any:
    """The demo app, its live sessions per user capped at `cap` instead of the default."""
    import demo.app as demo_app
    from demo.config import DemoConfig
    from liveui import LiveSettings

    config = DemoConfig(database_url=f"sqlite:///{data_dir / 'demo.db'}",
                        pubsub_url="memory://", secret_key=SECRET, transport=transport,
                        data_dir=data_dir)
    settings = LiveSettings(transport="ws" if transport == "ws" else "sse",
                            max_sessions_per_user=cap)
    names = vars(demo_app)  # create_app builds `LiveUI(...)` without settings: add ours
    original = names["LiveUI"]
    names["LiveUI"] = functools.partial(original, settings=settings)
    try:
        app = demo_app.create_app(config)
    finally:
        names["LiveUI"] = original
    live = app.state.live
    if (live.settings.max_sessions_per_user != cap
            or live.registry.settings.max_sessions_per_user != cap):
        raise SystemExit("bench: could not lift max_sessions_per_user: demo.app no longer "
                         "builds its LiveUI as `LiveUI(...)`; update bench/real_commits.py")

    def health() -> dict[str, Any]:
        registry = live.registry
        stats = registry.stats
        return {
            "tabs": len(registry),
            "connections": sum(len(s.connections) for s in registry.sessions.values()),
            "sessions": len(registry.sessions),
            "attaches": dict(stats.attaches),
            "simulator": app.state.simulator.running,
            "slow_client_drops": stats.slow_client_drops,
            "closes": dict(stats.closes),
            "cap": live.settings.max_sessions_per_user,
            "verified": registry.verified,
            "repairs": registry.repairs,
        }

    app.router.routes[:0] = bench_routes(health, profile)
    return app


TEMPLATES = Path(__file__).resolve().parent / "real_commits_templates"
"""The baseline's Jinja2 templates: page.html, row.html, badge.html, update.html."""


def build_baseline(data_dir: Path, transport: str, profile: str | None = None) -> Any:
    """The hand-written app: see the module docstring."""
    import secrets

    import jinja2
    from markupsafe import Markup
    from sqlalchemy import func, select
    from sse_starlette import EventSourceResponse, ServerSentEvent
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    from demo import services
    from demo.db import make_async_engine, make_sessionmaker
    from demo.models import CartItem, Notification, Order, Ticket, User

    engine = make_async_engine(f"sqlite:///{data_dir / 'demo.db'}")
    sessions = make_sessionmaker(engine)
    env = jinja2.Environment(autoescape=True, loader=jinja2.FileSystemLoader(TEMPLATES))
    badge_template = env.get_template("badge.html")

    def badge(id: str, counter: str, label: str, value: int, hide_zero: bool,
              oob: bool = False) -> Markup:
        return Markup(badge_template.render(id=id, counter=counter, label=label, value=value,
                                            hide_zero=hide_zero, oob=oob))

    env.globals["badge"] = badge
    page_template = env.get_template("page.html")
    update_template = env.get_template("update.html")
    close = object()  # put on a queue: that tab is disconnected

    class Tab:
        __slots__ = ("queue",)

        def __init__(self) -> None:
            self.queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=QUEUE_SIZE)

    tabs: dict[int, set[Tab]] = {}
    drops = 0

    def counts(user_id: int) -> Any:
        """The page's counters, the spent metric and the row past the 20 shown, in one query."""

        def count(model: Any, *where: Any) -> Any:
            return (select(func.count()).select_from(model)
                    .where(model.user_id == user_id, *where).scalar_subquery())

        spent = (select(func.coalesce(func.sum(Order.amount_cents), 0))
                 .where(Order.user_id == user_id, Order.status == "completed").scalar_subquery())
        fell_off = (select(Order.id).where(Order.user_id == user_id)
                    .order_by(Order.id.desc()).offset(20).limit(1).scalar_subquery())
        return select(count(Order, Order.status == "pending").label("pending"),
                      count(CartItem).label("cart"),
                      count(Ticket, Ticket.status == "open").label("tickets"),
                      count(Notification, Notification.read.is_(False)).label("unread"),
                      spent.label("spent"), fell_off.label("fell_off"))

    def user_of(request: Request | WebSocket) -> int | None:
        user_id = request.session.get("user_id")
        return user_id if isinstance(user_id, int) else None

    async def login(request: Request) -> Response:
        async with sessions() as session:
            user_id = await session.scalar(
                select(User.id).where(User.username == request.query_params.get("user", "")))
        if user_id is None:
            return PlainTextResponse("unknown user", status_code=401)
        request.session.clear()
        request.session["user_id"] = user_id
        request.session["csrf"] = secrets.token_urlsafe(24)
        return RedirectResponse("/orders", status_code=303)

    async def orders(request: Request) -> Response:
        user_id = user_of(request)
        if user_id is None:
            return RedirectResponse("/login", status_code=303)
        async with sessions() as session:
            user = await session.get(User, user_id)
            c = (await session.execute(counts(user_id))).one()
            notes = (await session.scalars(
                select(Notification).where(Notification.user_id == user_id)
                .order_by(Notification.inserted_at.desc()).limit(10))).all()
            rows = (await session.scalars(
                select(Order).where(Order.user_id == user_id)
                .order_by(Order.id.desc()).limit(21))).all()
        flash = request.session.pop("flash", None)
        body = page_template.render(user=user, c=c, notifications=notes, orders=rows[:20],
                                    more=len(rows) > 20, csrf=request.session.get("csrf", ""),
                                    transport=transport, flash=flash)
        return HTMLResponse(body, headers={"Cache-Control": "no-store"})

    async def place(request: Request) -> Response:
        user_id = user_of(request)
        form = await request.form(max_files=0, max_fields=20, max_part_size=16 * 1024)
        expected = request.session.get("csrf")
        sent = form.get("csrf_token")
        if (user_id is None or not expected or not isinstance(sent, str)
                or not secrets.compare_digest(sent.encode(), str(expected).encode())):
            return PlainTextResponse("CSRF token missing or invalid", status_code=403)
        async with sessions() as session:
            user = await session.get(User, user_id)
            assert user is not None
            order = await services.place_order(session, user)
            c = (await session.execute(counts(user_id))).one()
        update = update_template.render(c=c, row=order)
        for tab in list(tabs.get(user_id, ())):
            try:
                tab.queue.put_nowait(update)
            except asyncio.QueueFull:  # a tab that does not read: disconnect it
                drop(user_id, tab)
        request.session["flash"] = f"Order #{order.id} placed: {order.item}."
        return RedirectResponse("/orders", status_code=303)

    def drop(user_id: int, tab: Tab) -> None:
        nonlocal drops
        drops += 1
        tabs.get(user_id, set()).discard(tab)
        while not tab.queue.empty():
            tab.queue.get_nowait()
        tab.queue.put_nowait(close)

    def register(user_id: int) -> Tab:
        tab = Tab()
        tabs.setdefault(user_id, set()).add(tab)
        return tab

    def unregister(user_id: int, tab: Tab) -> None:
        own = tabs.get(user_id)
        if own is not None:
            own.discard(tab)
            if not own:
                del tabs[user_id]

    async def stream(request: Request) -> Response:
        user_id = user_of(request)
        if user_id is None:
            return PlainTextResponse("log in first", status_code=403)

        async def events() -> AsyncIterator[ServerSentEvent]:
            tab = register(user_id)
            try:
                yield ServerSentEvent(event="patch", data="<!-- ready -->")
                while True:
                    item = await tab.queue.get()
                    if item is close:
                        return
                    yield ServerSentEvent(event="patch", data=item)
            finally:
                unregister(user_id, tab)

        return EventSourceResponse(events(), send_timeout=SEND_TIMEOUT)

    async def socket(websocket: WebSocket) -> None:
        user_id = user_of(websocket)
        if user_id is None:
            await websocket.close(1008)
            return
        await websocket.accept()
        tab = register(user_id)

        async def sender() -> None:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                await websocket.send_text("<!-- ready -->")
                while True:
                    item = await tab.queue.get()
                    if item is close:
                        await websocket.close(1013)
                        return
                    await websocket.send_text(item)

        task = asyncio.ensure_future(sender())
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            unregister(user_id, tab)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def health() -> dict[str, Any]:
        return {"tabs": sum(len(own) for own in tabs.values()), "slow_client_drops": drops}

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await engine.dispose()

    routes: list[Any] = [
        *bench_routes(health, profile),
        Route("/login", login),
        Route("/orders", orders),
        Route("/orders/place", place, methods=["POST"]),
        Route("/stream", stream),
        WebSocketRoute("/ws", socket),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(SessionMiddleware, secret_key=SECRET, same_site="lax",
                               session_cookie="session")],
        lifespan=lifespan,
    )


def serve(args: argparse.Namespace) -> None:
    raise_nofile()
    data_dir = Path(args.data)
    if args.profile == "mem":
        import tracemalloc

        tracemalloc.start(4)
    if args.side == "baseline":
        from bench.servers import serve as serve_app

        serve_app(build_baseline(data_dir, args.transport, args.profile), args.serve,
                  server="uvicorn-httptools", stock=True)
        return
    import uvicorn

    from liveui import uvicorn_options

    app = build_liveui(data_dir, args.transport, args.cap, args.profile)
    # As `python -m demo` serves it (liveui's protocols, default HttpLimits), with the benches'
    # backlog and no WebSocket keepalive pings (see bench.servers).
    uvicorn.run(app, host="127.0.0.1", port=args.serve, log_level="warning", lifespan="on",
                backlog=BACKLOG, ws_ping_interval=None, timeout_graceful_shutdown=1,
                **uvicorn_options())


# the tabs --------------------------------------------------------------------------------------
class Failure(Exception):
    pass


@dataclass(eq=False)
class Tab:
    index: int
    user: User
    badge_ids: tuple[str, ...] = ()
    events: int = 0
    bytes: int = 0
    pings: int = 0
    chunks: int = 0
    ready: bool = False
    orders: dict[int, float] = field(default_factory=dict)
    badges: dict[tuple[str, int], float] = field(default_factory=dict)
    expect: tuple[int, int, float] | None = None
    recording: list[str] | None = None
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=4))
    """The last events, shown when the tab misses a commit."""
    conn: Any = None

    def event(self, text: str, at: float, side: Side) -> None:
        self.events += 1
        if not self.ready:  # the stream's first event: liveui's id marker, the baseline's ready
            self.ready = True
            side.opened += 1
            side.changed.set()
            return
        if self.recording is not None:
            self.recording.append(text)
        self.recent.append(text)
        if "data-order-id" in text:
            for match in ORDER_RE.finditer(text):
                self.orders.setdefault(int(match.group(1)), at)
        for match in NUMBER_RE.finditer(text):
            self.badges.setdefault((match.group(1), int(match.group(2))), at)
        if self.expect is not None:
            self.check(side)

    def check(self, side: Side) -> None:
        assert self.expect is not None
        order_id, pending, sent = self.expect
        got = self.orders.get(order_id)
        if got is None:
            return
        times = [got]
        for badge in self.badge_ids:
            at = self.badges.get((badge, pending))
            if at is None:
                return
            times.append(at)
        self.expect = None
        side.received(self, max(times) - sent)


class SSETab(asyncio.Protocol):
    """One tab's EventSource, read with a bare protocol (cheap enough for 3,000 on one core):
    the response head, chunked transfer decoding, then events split and parsed as a browser
    does (lines end in CRLF or LF; `data:` lines joined with LF; comment-only blocks are not
    events)."""

    def __init__(self, tab: Tab, side: Side, request: bytes) -> None:
        self.tab, self.side, self.request = tab, side, request
        self.transport: Any = None
        self.head = b""
        self.started = False
        self.chunked = False
        self.raw = b""
        self.left = 0
        self.skip = 0
        self.carry = b""
        self.pending = b""

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        if not self.started:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                if len(self.head) > 65536:
                    self.side.error(f"tab {self.tab.index}: no end of the response head")
                return
            head, data = self.head[:end], self.head[end + 4:]
            self.head = b""
            if not head.startswith(b"HTTP/1.1 200"):
                self.side.error(f"tab {self.tab.index}: stream refused: "
                                f"{(head + data)[:300].decode(errors='replace')}")
                return
            self.started = True
            self.chunked = b"\r\ntransfer-encoding: chunked" in head.lower()
        if self.chunked:
            data = self.dechunk(data)
        if data:
            self.body(data, time.monotonic())

    def dechunk(self, data: bytes) -> bytes:
        buf = self.raw + data if self.raw else data
        out: list[bytes] = []
        i, n = 0, len(buf)
        while i < n:
            if self.skip:  # the CRLF after a chunk's data
                step = min(self.skip, n - i)
                i += step
                self.skip -= step
            elif self.left:
                step = min(self.left, n - i)
                out.append(buf[i:i + step])
                i += step
                self.left -= step
                if not self.left:
                    self.skip = 2
            else:
                eol = buf.find(b"\r\n", i)
                if eol < 0:
                    break
                size = int(buf[i:eol].split(b";", 1)[0], 16)
                i = eol + 2
                if size == 0:
                    self.side.error(f"tab {self.tab.index}: the server ended the stream")
                    break
                self.left = size
                self.tab.chunks += 1
        self.raw = buf[i:]
        return b"".join(out)

    def body(self, data: bytes, at: float) -> None:
        tab = self.tab
        tab.bytes += len(data)
        if self.carry:
            data, self.carry = self.carry + data, b""
        if data.endswith(b"\r"):
            data, self.carry = data[:-1], b"\r"
        text = self.pending + data.replace(b"\r\n", b"\n")
        blocks = text.split(b"\n\n")
        self.pending = blocks.pop()
        for block in blocks:
            lines = [line for line in block.split(b"\n") if line]
            data_lines = [line[5:].removeprefix(b" ") for line in lines
                          if line.startswith(b"data:")]
            if data_lines:
                tab.event(b"\n".join(data_lines).decode(), at, self.side)
            elif lines and all(line.startswith(b":") for line in lines):
                tab.pings += 1

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.side.closing:
            self.side.error(f"tab {self.tab.index}: stream lost: {exc}")


class WSTab(asyncio.Protocol):
    """One tab's WebSocket: the `websockets` library's sans-I/O client protocol (the handshake
    with Origin and Cookie as a browser sends them, frames, pongs, the closing handshake) on a
    bare asyncio protocol. Its asyncio client (a task, a queue and futures per connection) cost
    the clients' one core so much at 3,000 tabs that the server waited for them two thirds of
    the waves."""

    def __init__(self, tab: Tab, side: Side, uri: str, origin: str, cookie: str) -> None:
        from websockets.client import ClientProtocol
        from websockets.typing import Origin
        from websockets.uri import parse_uri

        self.tab, self.side = tab, side
        self.protocol = ClientProtocol(parse_uri(uri), origin=Origin(origin), max_size=None)
        request = self.protocol.connect()
        request.headers["Cookie"] = cookie
        self.protocol.send_request(request)
        self.transport: Any = None
        self.parts: list[bytes] = []

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.flush()

    def flush(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                self.transport.write(data)
            elif self.transport.can_write_eof():
                self.transport.write_eof()

    def data_received(self, data: bytes) -> None:
        from websockets.frames import Frame, Opcode

        protocol, tab = self.protocol, self.tab
        protocol.receive_data(data)
        at = time.monotonic()
        for event in protocol.events_received():
            if not isinstance(event, Frame):  # the handshake's response
                if protocol.handshake_exc is not None:
                    self.side.error(f"tab {tab.index}: websocket refused: "
                                    f"{protocol.handshake_exc!r}")
                continue
            opcode = event.opcode
            if opcode is Opcode.TEXT or opcode is Opcode.BINARY or opcode is Opcode.CONT:
                tab.chunks += 1
                tab.bytes += len(event.data)
                self.parts.append(bytes(event.data))
                if not event.fin:
                    continue
                text = b"".join(self.parts).decode()
                self.parts = []
                if text == WS_PING:
                    tab.pings += 1
                else:
                    tab.event(text, at, self.side)
            elif opcode is Opcode.CLOSE and not self.side.closing:
                self.side.error(f"tab {tab.index}: websocket closed by the server: "
                                f"{protocol.close_code} {protocol.close_reason}")
        self.flush()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.side.closing:
            self.side.error(f"tab {self.tab.index}: websocket lost: {exc}")


@dataclass(eq=False)
class User:
    name: str
    id: int = 0
    client: Any = None
    cookie: str = ""
    csrf: str = ""
    tabs: list[Tab] = field(default_factory=list)


@dataclass
class Result:
    kb_per_tab: float
    updates_per_cpu_s: float
    writes_per_tab_commit: float
    writes_min: float
    writes_max: float
    bytes_per_tab_commit: float
    chunks_per_tab_commit: float
    pings: int
    p50_ms: float
    p99_ms: float
    cpu_s: float
    elapsed_s: float
    open_s: float
    open_cpu_ms_per_tab: float
    post_ms_p50: float
    health: dict[str, Any]
    others_cpu_s: float
    steal_s: float
    sample: list[str]


class Side:
    """One server (liveui's demo or the baseline), its users and tabs, for one run."""

    def __init__(self, name: str, args: argparse.Namespace, template_db: Path,
                 cap: int) -> None:
        self.name = name
        self.args = args
        self.template_db = template_db
        self.cap = cap
        self.profile: str | None = args.profile if args.profile_side == name else None
        self.errors: list[str] = []
        self.changed = asyncio.Event()
        self.opened = 0
        self.remaining = 0
        self.latencies: list[float] | None = None
        self.closing = False
        self.tabs: list[Tab] = []
        self.port = 0
        self.base = ""
        self.db = Path()

    # plumbing ----------------------------------------------------------------------------------
    def error(self, message: str) -> None:
        self.errors.append(message)
        self.changed.set()

    def received(self, tab: Tab, latency: float) -> None:
        if self.latencies is not None:
            self.latencies.append(latency)
        self.remaining -= 1
        if self.remaining <= 0:
            self.changed.set()

    async def wait_for(self, condition: Callable[[], bool], timeout: float,
                       what: Callable[[], str]) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.errors:
                raise Failure(f"{self.name}: {len(self.errors)} error(s), first: "
                              f"{self.errors[0]}")
            if time.monotonic() > deadline:
                raise Failure(f"{self.name}: timed out after {timeout:.0f} s: {what()}")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), 0.25)

    async def http(self, method: Callable[..., Any], url: str, **kwargs: Any) -> Any:
        """One request of the bench; a transport error fails the bench, naming it."""
        import httpx

        try:
            return await method(url, **kwargs)
        except httpx.TransportError as exc:
            raise Failure(f"{self.name}: {url}: {exc!r}") from None

    def client(self, cookies: Any = None) -> Any:
        import httpx

        return httpx.AsyncClient(base_url=self.base, timeout=60, limits=CONTROL_LIMITS,
                                 cookies=cookies)

    # the phases --------------------------------------------------------------------------------
    async def log_in(self, user: User) -> None:
        user.client = self.client()
        if self.name == "liveui":
            page = await self.http(user.client.get, "/login")
            csrf = CSRF_RE.search(page.text)
            if page.status_code != 200 or csrf is None:
                raise Failure(f"liveui: GET /login: {page.status_code}")
            answer = await self.http(user.client.post, "/login", data={
                "csrf_token": csrf.group(1), "username": user.name, "password": PASSWORD})
        else:
            answer = await self.http(user.client.get, "/login", params={"user": user.name})
        if answer.status_code != 303:
            raise Failure(f"{self.name}: login of {user.name}: {answer.status_code} "
                          f"{answer.text[:200]}")
        # One page first: the session gets its CSRF token before the tabs race for it.
        page = await self.http(user.client.get, "/orders")
        csrf = CSRF_RE.search(page.text)
        if page.status_code != 200 or csrf is None:
            raise Failure(f"{self.name}: GET /orders of {user.name}: {page.status_code}")
        user.csrf = csrf.group(1)

    def cookie_header(self, user: User) -> str:
        return "; ".join(f"{name}={value}" for name, value in user.client.cookies.items())

    async def open_tab(self, tab: Tab) -> None:
        user = tab.user
        page = await self.http(user.client.get, "/orders")
        if page.status_code != 200:
            raise Failure(f"{self.name}: tab {tab.index}: GET /orders {page.status_code}")
        text = page.text
        csrf = CSRF_RE.search(text)
        if csrf is None or csrf.group(1) != user.csrf:
            raise Failure(f"{self.name}: tab {tab.index}: the page's CSRF token is not the "
                          "session's")
        tab.badge_ids = tuple(m.group(1) for m in PENDING_BADGE_RE.finditer(text))
        if len(tab.badge_ids) < 1:
            raise Failure(f"{self.name}: tab {tab.index}: no pending_orders badge on the page")
        cookie = self.cookie_header(user)
        if self.name == "liveui":
            path = self.live_path(text)
        else:
            path = "/ws" if self.args.transport == "ws" else "/stream"
        tab.recording = None
        if self.args.transport == "ws":
            await self.open_ws(tab, path, cookie)
        else:
            request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                       f"Accept: text/event-stream\r\nCache-Control: no-cache\r\n"
                       f"Cookie: {cookie}\r\n\r\n").encode()
            loop = asyncio.get_running_loop()
            transport, _ = await loop.create_connection(
                lambda: SSETab(tab, self, request), "127.0.0.1", self.port)
            tab.conn = transport
        await self.wait_for(lambda: tab.ready, TAB_TIMEOUT,
                            lambda: f"the first event of tab {tab.index}")

    def live_path(self, text: str) -> str:
        """The URL liveui.js connects to, from the page: `<meta name="liveui">` and the specs
        of every `[data-live]` element (first of each id), as `connectUrl()` builds it."""
        meta = META_RE.search(text)
        if meta is None:
            raise Failure("liveui: the page has no <meta name=\"liveui\">")
        attrs = {k: html.unescape(v) for k, v in ATTR_RE.findall(meta.group(0))}
        base = attrs["data-ws-url" if self.args.transport == "ws" else "data-sse-url"]
        seen: set[str | None] = set()
        specs = []
        for tag in LIVE_TAG_RE.findall(text):
            element = {k: html.unescape(v) for k, v in ATTR_RE.findall(tag)}
            if element.get("id") in seen:
                continue
            seen.add(element.get("id"))
            try:
                params = json.loads(element.get("data-live-params") or "{}")
            except ValueError:
                params = {}
            specs.append({"c": element["data-live"], "p": params,
                          "e": element.get("data-live-etag")})
        encoded = base64.urlsafe_b64encode(
            json.dumps(specs, separators=(",", ":"), ensure_ascii=False).encode()
        ).decode().rstrip("=")
        joiner = "&" if "?" in base else "?"
        return f"{base}{joiner}token={quote(attrs['data-token'], safe='')}&c={encoded}"

    async def open_ws(self, tab: Tab, path: str, cookie: str) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_connection(
            lambda: WSTab(tab, self, f"ws://127.0.0.1:{self.port}{path}",
                          f"http://127.0.0.1:{self.port}", cookie),
            "127.0.0.1", self.port)
        tab.conn = transport

    async def open_tabs(self, tabs: list[Tab]) -> None:
        gate = asyncio.Semaphore(OPEN_CONCURRENCY)

        async def one(tab: Tab) -> None:
            async with gate:
                await self.open_tab(tab)

        results = await asyncio.gather(*(one(tab) for tab in tabs), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def quiet(self, pid: int, timeout: float = 30.0) -> None:
        """Until no tab got an event for half a second while the server used under a tenth of
        it (its background work: heartbeats, anti-entropy), a quarter under a profiler. A smoke
        run of a few tabs looks at a fifth of a second (same share of CPU)."""
        window = 0.5 if len(self.tabs) > 100 else 0.2
        limit = QUIET_CPU * (2.5 if self.profile else 1) * window / 0.5
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            events, cpu = sum(t.events for t in self.tabs), cpu_seconds(pid)
            await asyncio.sleep(window)
            if cpu_seconds(pid) - cpu < limit and sum(t.events for t in self.tabs) == events:
                return
        if self.profile:
            print(f"{self.name}: the profiled server did not quiet down within {timeout:.0f} s; "
                  "going on", flush=True)
            return
        raise Failure(f"{self.name}: the server did not quiet down within {timeout:.0f} s")

    async def wave(self, users: list[User], number: int, measured: bool) -> list[float]:
        """Every user places one order; returns when every tab received its user's."""
        self.remaining = sum(len(u.tabs) for u in users)
        posts: list[float] = []

        gate = asyncio.Semaphore(OPEN_CONCURRENCY)

        async def place(user: User) -> None:
            async with gate:
                sent = time.monotonic()
                answer = await self.http(user.client.post, "/orders/place",
                                         data={"csrf_token": user.csrf})
                posts.append(time.monotonic() - sent)
            if answer.status_code != 303:
                raise Failure(f"{self.name}: POST /orders/place of {user.name}: "
                              f"{answer.status_code} {answer.text[:200]}")
            order_id, pending = self.newest(user)
            for tab in user.tabs:
                tab.expect = (order_id, pending, sent)
                tab.check(self)

        await asyncio.gather(*(place(u) for u in users))

        def missing() -> str:
            late = [t for t in self.tabs if t.expect is not None]
            first = late[0] if late else None
            detail = ""
            if first is not None and first.expect is not None:
                order_id, pending, _ = first.expect
                detail = (f"; tab {first.index} ({first.user.name}) waits for order {order_id} "
                          f"and pending_orders={pending} on {list(first.badge_ids)}, has order "
                          f"{order_id in first.orders}, badges "
                          f"{sorted(k for k in first.badges if k[1] == pending)}; its last "
                          f"events: {[text[:600] for text in first.recent]}")
            return (f"wave {number}: {len(late)} of {len(self.tabs)} tabs did not receive "
                    f"their user's commit (users: "
                    f"{sorted({t.user.name for t in late})[:10]}){detail}")

        await self.wait_for(lambda: self.remaining <= 0, WAVE_TIMEOUT, missing)
        return posts

    def newest(self, user: User) -> tuple[int, int]:
        """The user's newest order and pending count, read from the database file."""
        with contextlib.closing(sqlite3.connect(self.db, timeout=10)) as db:
            row = db.execute(
                "SELECT max(id), sum(status = 'pending') FROM orders WHERE user_id = ?",
                (user.id,)).fetchone()
        return int(row[0]), int(row[1])

    # one side, start to end --------------------------------------------------------------------
    async def run(self) -> Result:
        import httpx

        from liveui.testing import free_port

        args = self.args
        tmp = Path(tempfile.mkdtemp(prefix=f"real-commits-{self.name}-"))
        self.db = tmp / "demo.db"
        copy_database(self.template_db, self.db)
        with contextlib.closing(sqlite3.connect(self.db)) as db:
            ids = dict(db.execute("SELECT username, id FROM users").fetchall())
        users = [User(f"user{i}") for i in range(1, args.users + 1)]
        warm = User(WARM_USER)
        for user in [*users, warm]:
            user.id = ids[user.name]
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "bench.real_commits", "--serve", str(self.port),
                   "--side", self.name, "--transport", args.transport, "--data", str(tmp),
                   "--cap", str(self.cap)]
        if self.profile:
            command += ["--profile", self.profile]
        server = start_pinned_server(command)
        control = httpx.AsyncClient(base_url=self.base, timeout=60, limits=CONTROL_LIMITS)
        try:
            deadline = time.monotonic() + 60
            while True:
                if server.poll() is not None:
                    raise Failure(f"{self.name}: the server exited ({server.returncode})")
                with contextlib.suppress(httpx.TransportError):
                    if (await control.get("/bench/health")).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise Failure(f"{self.name}: the server did not answer within 60 s")
                await asyncio.sleep(0.1)
            for user in [warm, *users]:
                await self.log_in(user)
            # warm-up tabs: templates compiled, pools and caches filled
            warm.tabs = [Tab(-1 - i, warm) for i in range(WARM_TABS)]
            self.tabs = list(warm.tabs)
            await self.open_tabs(warm.tabs)
            await self.quiet(server.pid)
            if self.profile == "mem":
                await control.post("/bench/memory", params={"mark": "1"})
            rss_before = rss_kb(server.pid)
            cpu0, t0 = cpu_seconds(server.pid), time.perf_counter()
            tabs = [Tab(i, users[i % len(users)]) for i in range(args.tabs)]
            for tab in tabs:
                tab.user.tabs.append(tab)
            self.tabs += tabs
            await self.open_tabs(tabs)
            open_s = time.perf_counter() - t0
            open_cpu = cpu_seconds(server.pid) - cpu0
            # the page clients' kept-alive connections are closed before RSS is read
            for user in [warm, *users]:
                cookies = user.client.cookies
                await user.client.aclose()
                user.client = self.client(cookies)
            await self.quiet(server.pid)
            kb_per_tab = (rss_kb(server.pid) - rss_before) / args.tabs
            health = (await control.get("/bench/health")).json()
            expected_tabs = args.tabs + WARM_TABS
            if health["tabs"] != expected_tabs:
                raise Failure(f"{self.name}: the server holds {health['tabs']} tabs, not "
                              f"{expected_tabs}: {health}")
            if health.get("simulator"):
                raise Failure("liveui: the demo's activity simulator is running")
            if self.profile == "mem":
                memory = await control.post("/bench/memory", params={"tabs": str(args.tabs)})
                print(f"{self.name}: tracemalloc over the tab-opening phase, per tab "
                      f"(tabs={args.tabs}):\n{memory.text}", flush=True)
            self.tabs = tabs  # warm-up tabs receive nothing from the waves
            for number in range(1, WARM_WAVES + 1):
                await self.wave(users, -number, measured=False)
            sample_tab = tabs[0]
            sample_tab.recording = []
            sample: list[str] = []
            counts = [(t.events, t.bytes, t.pings) for t in tabs]
            chunks = sum(t.chunks for t in tabs)
            before = (await control.get("/bench/health")).json()
            self.latencies = []
            posts: list[float] = []
            if self.profile == "cpu":
                await control.post("/bench/profile", params={"on": "1"})
            cpu0, t0 = cpu_seconds(server.pid), time.perf_counter()
            disturbance = Disturbance(server.pid)
            for number in range(1, args.commits + 1):
                posts += await self.wave(users, number, measured=True)
                if number == 1:
                    sample = sample_tab.recording or []
                    sample_tab.recording = None
            elapsed, cpu = time.perf_counter() - t0, cpu_seconds(server.pid) - cpu0
            others, steal = disturbance.seconds()
            if disturbed(others, elapsed):
                print(f"{self.name}: WARNING: other processes used {others:.2f} CPU-s during "
                      f"the {elapsed:.2f} s of measured waves (another bench on these cores?): "
                      "this run's latencies mean little, its CPU figures may be inflated",
                      flush=True)
            if self.profile == "cpu":
                profile = await control.post("/bench/profile", params={"on": "0"})
                print(f"{self.name}: cProfile over the measured waves:\n{profile.text}",
                      flush=True)
            health = (await control.get("/bench/health")).json()
            if "verified" in health:  # liveui's anti-entropy checks that ran during the waves
                health["verified_in_waves"] = health["verified"] - before["verified"]
            if self.errors:
                raise Failure(f"{self.name}: {self.errors[0]}")
            writes = [(t.events - e) / args.commits for t, (e, _, _) in zip(tabs, counts,
                                                                           strict=True)]
            sent = sum(t.bytes - b for t, (_, b, _) in zip(tabs, counts, strict=True))
            pings = sum(t.pings - p for t, (_, _, p) in zip(tabs, counts, strict=True))
            updates = args.tabs * args.commits
            latencies = self.latencies
            return Result(
                kb_per_tab=kb_per_tab,
                updates_per_cpu_s=updates / max(cpu, 1e-9),
                writes_per_tab_commit=sum(writes) / len(writes),
                writes_min=min(writes),
                writes_max=max(writes),
                bytes_per_tab_commit=sent / updates,
                chunks_per_tab_commit=(sum(t.chunks for t in tabs) - chunks) / updates,
                pings=pings,
                p50_ms=percentile(latencies, 0.5) * 1000,
                p99_ms=percentile(latencies, 0.99) * 1000,
                cpu_s=cpu,
                elapsed_s=elapsed,
                open_s=open_s,
                open_cpu_ms_per_tab=open_cpu * 1000 / args.tabs,
                post_ms_p50=percentile(posts, 0.5) * 1000,
                health=health,
                sample=sample,
                others_cpu_s=others,
                steal_s=steal,
            )
        finally:
            self.closing = True
            for tab in self.tabs + warm.tabs:
                if tab.conn is not None:
                    with contextlib.suppress(Exception):
                        tab.conn.abort()
            for user in [warm, *users]:
                if user.client is not None:
                    with contextlib.suppress(Exception):
                        await user.client.aclose()
            await control.aclose()
            # the server sees the disconnects before it is stopped
            await asyncio.sleep(0.5 if len(self.tabs) > 100 else 0.1)
            stop_pinned_server(server)
            shutil.rmtree(tmp, ignore_errors=True)


# the report ------------------------------------------------------------------------------------
def span(values: Iterable[float], digits: int = 0) -> str:
    """min-max of the runs (one number when they agree at that precision)."""
    ordered = sorted(values)
    low, high = f"{ordered[0]:.{digits}f}", f"{ordered[-1]:.{digits}f}"
    return low if low == high else f"{low}-{high}"


def summary(name: str, args: argparse.Namespace, results: list[Result]) -> str:
    flagged = sum(disturbed(r.others_cpu_s, r.elapsed_s) for r in results)
    return (f"{name}: tabs={args.tabs} users={args.users} transport={args.transport} "
            f"kb_per_tab={span((r.kb_per_tab for r in results), 1)} "
            f"updates_per_cpu_s={span(r.updates_per_cpu_s for r in results)} "
            f"writes_per_tab_commit={span((r.writes_per_tab_commit for r in results), 2)} "
            f"bytes_per_tab_commit={span(r.bytes_per_tab_commit for r in results)} "
            f"p50_ms={span((r.p50_ms for r in results), 1)} "
            f"p99_ms={span((r.p99_ms for r in results), 1)}"
            + (f" disturbed_runs={flagged}" if flagged else ""))


def detail(name: str, args: argparse.Namespace, run: int, r: Result) -> str:
    return (f"{name} run {run}: kb_per_tab={r.kb_per_tab:.1f} "
            f"updates_per_cpu_s={r.updates_per_cpu_s:.0f} server_cpu_s={r.cpu_s:.2f} "
            f"elapsed_s={r.elapsed_s:.2f} writes_per_tab_commit={r.writes_per_tab_commit:.2f} "
            f"(per tab {r.writes_min:.2f}-{r.writes_max:.2f}) "
            f"bytes_per_tab_commit={r.bytes_per_tab_commit:.0f} "
            f"{'http_chunks' if args.transport == 'sse' else 'ws_frames'}_per_tab_commit="
            f"{r.chunks_per_tab_commit:.2f} pings={r.pings} "
            f"p50_ms={r.p50_ms:.1f} p99_ms={r.p99_ms:.1f} post_ms_p50={r.post_ms_p50:.1f} "
            f"open_s={r.open_s:.1f} open_server_cpu_ms_per_tab={r.open_cpu_ms_per_tab:.2f} "
            f"others_cpu_s={r.others_cpu_s:.2f} steal_s={r.steal_s:.2f} "
            f"server={json.dumps(r.health, separators=(',', ':'))}")


def print_sample(name: str, sample: list[str], width: int = 240) -> None:
    print(f"{name}: tab 0's stream for the first measured commit: {len(sample)} write(s)")
    for i, text in enumerate(sample, 1):
        flat = text.replace("\n", "\\n")
        more = f"... ({len(text)} chars)" if len(flat) > width else ""
        print(f"  [{i}] {flat[:width]}{more}")


async def run(args: argparse.Namespace) -> None:
    raise_nofile()
    per_user = math.ceil(args.tabs / args.users)
    from liveui import LiveSettings

    default_cap = LiveSettings().max_sessions_per_user
    cap = max(default_cap, per_user)
    if cap > default_cap:
        lifted = (f"lifted: LiveSettings.max_sessions_per_user {default_cap} -> {cap} "
                  f"({per_user} tabs per user); nothing else")
    else:
        lifted = (f"lifted: nothing (LiveSettings.max_sessions_per_user {default_cap} >= "
                  f"{per_user} tabs per user)")
    lifted += ("; kept: HttpLimits defaults (max_pending_per_address=64, at most "
               f"{OPEN_CONCURRENCY} tabs opening or POSTs in flight at once), login throttle, "
               "bounded outboxes and 1013 for slow clients, action budgets, revocation and "
               "origin checks, anti-entropy")
    print(lifted, flush=True)
    sides = [args.profile_side] if args.profile else ["liveui", "baseline"]
    results: dict[str, list[Result]] = {side: [] for side in sides}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="real-commits-seed-") as tmp:
        template = Path(tmp) / "seed.db"
        await seed_database(template, args.users)
        for number in range(1, args.runs + 1):
            for name in sides:
                side_started = time.perf_counter()
                try:
                    result = await Side(name, args, template, cap).run()
                except Failure as exc:
                    raise SystemExit(f"bench: run {number}: {exc}") from None
                results[name].append(result)
                print(detail(name, args, number, result) +
                      f" side_s={time.perf_counter() - side_started:.0f}", flush=True)
                if number == 1:
                    print_sample(name, result.sample)
    print(f"total_s={time.perf_counter() - started:.0f} runs={args.runs} "
          f"commits={args.commits} (+{WARM_WAVES} warm-up) "
          f"profile={f'{args.profile} ({args.profile_side})' if args.profile else '-'}")
    print(lifted)
    for name in sides:
        print(summary(name, args, results[name]))
    if "baseline" in results and "liveui" in results:
        pairs = list(zip(results["liveui"], results["baseline"], strict=True))
        print(f"ratio_updates_per_cpu_s="
              f"{span((a.updates_per_cpu_s / b.updates_per_cpu_s for a, b in pairs), 2)} "
              f"(liveui / baseline) ratio_kb_per_tab="
              f"{span((a.kb_per_tab / max(b.kb_per_tab, 1e-9) for a, b in pairs), 2)} "
              f"(liveui / baseline)")
    else:
        print("ratio_updates_per_cpu_s=- (a profiled run measures one side)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transport", choices=["sse", "ws"], default="sse")
    parser.add_argument("--tabs", type=int, default=1000)
    parser.add_argument("--users", type=int, default=1)
    parser.add_argument("--commits", type=int, default=20, help="measured waves")
    parser.add_argument("--runs", type=int, default=1, help="(liveui, baseline) pairs")
    parser.add_argument("--profile", choices=["cpu", "mem"], default=None,
                        help="cpu: cProfile over the measured waves; mem: tracemalloc over the "
                             "tab-opening phase; in the server of --profile-side, alone")
    parser.add_argument("--profile-side", choices=["liveui", "baseline"], default="liveui")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--side", choices=["liveui", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--cap", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args)
        return
    if args.tabs < 1 or args.users < 1 or args.users > args.tabs or args.commits < 1:
        parser.error("need tabs >= users >= 1 and commits >= 1")
    run_clients(run(args))


if __name__ == "__main__":
    main()
