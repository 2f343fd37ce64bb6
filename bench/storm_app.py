"""The server of `bench.reconnect_storm` and `bench.soak`: a demo-like page and a `/socket`.

A `LiveUI` (SSE) and an `Endpoint` with `UserChannel` on one `Node`, a real `Dispatch` on
PostgreSQL: three owner counters on orders plus notifications (and their unread counter). Every
statement the server's engine runs is counted by a SQLAlchemy event listener; `GET /stats`
reports the counts with the load batchers' and the node's figures, the garbage collector's time
and thresholds; `GET /census` lists what the collector tracks. The tables carry a prefix
given on the command line, so runs never touch anyone else's tables.
"""

from __future__ import annotations

import contextlib
import gc
import os
import time
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import ForeignKey, String, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bench.measure import GcClock

SECRET = "bench-reconnect-storm-secret-32-characters"
COUNTERS = ("pending_orders", "cart_items", "active_tickets")
BADGES = (*COUNTERS, "unread_notifications")


class Models:
    """The tables of one run (`prefix_users`, `prefix_orders`, `prefix_notifications`)."""

    def __init__(self, prefix: str) -> None:
        from liveui import counter, notification_model

        class Base(DeclarativeBase):
            pass

        class User(Base):
            __tablename__ = f"{prefix}_users"
            id: Mapped[int] = mapped_column(primary_key=True)

        def status_counter(name: str, status: str) -> Any:
            return counter(name, where=lambda: Order.status == status,
                           owner=lambda: Order.user_id)

        class Order(Base):
            __tablename__ = f"{prefix}_orders"
            id: Mapped[int] = mapped_column(primary_key=True)
            user_id: Mapped[int] = mapped_column(ForeignKey(f"{prefix}_users.id"), index=True)
            status: Mapped[str] = mapped_column(String(20), default="pending")
            __counters__ = [status_counter("pending_orders", "pending"),
                            status_counter("cart_items", "cart"),
                            status_counter("active_tickets", "ticket")]

        self.Base, self.User, self.Order = Base, User, Order
        self.Notification = notification_model(
            Base, tablename=f"{prefix}_notifications", user_fk=f"{prefix}_users.id"
        )


def build_app(database_url: str, prefix: str) -> Any:
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse, Response
    from starlette.routing import Route

    from liveui import (
        ChannelSettings,
        Dispatch,
        DispatchSettings,
        Endpoint,
        LiveUI,
        Node,
        Socket,
        UserChannel,
        async_url,
        channel,
    )

    models = Models(prefix)
    engine = create_async_engine(async_url(database_url), pool_size=10)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    selects = [0, 0]  # [SELECTs, all statements]

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        selects[1] += 1
        if statement.lstrip()[:6].upper() == "SELECT":
            selects[0] += 1

    # `--no-freeze` (bench.reconnect_storm): the server without liveui's start-up heap freeze.
    node = Node(freeze_startup_heap=os.environ.get("LIVEUI_BENCH_NO_FREEZE") != "1")
    dispatch = Dispatch(
        DispatchSettings(models=[models.Order], user_model=models.User,
                         notification_model=models.Notification),
        node=node, engine=engine,
    )
    dispatch.install(sessions)
    live = LiveUI(node=node, dispatch=dispatch, secret_key=SECRET, transport="sse",
                  get_user_id=lambda r: None)
    # Bench clients do not heartbeat; they must not be cut by the idle timeout.
    endpoint = Endpoint(node, settings=ChannelSettings(idle_timeout=3600))

    class BenchSocket(Socket):
        """Trusts the `user` parameter: a bench, not an app (the demo checks a signed token)."""

        channels = [channel("user:*", UserChannel, dispatch=dispatch)]

        async def connect(self, params: dict[str, Any], connect_info: Any) -> dict[str, Any]:
            return {"user_id": int(params["user"])}

    gc_clock = GcClock()
    gc.callbacks.append(gc_clock)

    async def stats(request: Request) -> Response:
        counters, notes = dispatch.counters.batcher, dispatch.notifications.batcher
        return JSONResponse({
            "selects": selects[0], "statements": selects[1],
            "counter_loads": counters.loads, "counter_batches": counters.batches,
            "notification_loads": notes.loads, "notification_batches": notes.batches,
            "sessions": len(live.registry), "sockets": len(endpoint.connections),
            "recomputes": dispatch.coalescer.recomputes, "ready_at": ready_at[0],
            "gc_seconds": gc_clock.seconds, "gc_runs": gc_clock.runs,
            "verified": live.registry.verified, "gc_threshold": gc.get_threshold(),
            "gc_frozen": gc.get_freeze_count(),
        })

    async def commit(request: Request) -> Response:
        """One transaction through the hooked sessions: the dispatch recounts and broadcasts."""
        users = [int(u) for u in request.query_params["users"].split(",")]
        status = request.query_params.get("status", "pending")
        async with sessions() as s:
            s.add_all([models.Order(user_id=u, status=status) for u in users])
            await s.commit()
        return PlainTextResponse("ok")

    ready_at = [0.0]  # CLOCK_MONOTONIC, one clock for every process of the machine
    tracemalloc_baseline: list[Any] = []

    async def memory(request: Request) -> Response:
        """tracemalloc (when started with --trace): the growth since the previous call."""
        import tracemalloc

        gc.collect()
        if not tracemalloc.is_tracing():
            return PlainTextResponse("not tracing")
        snapshot = tracemalloc.take_snapshot()
        lines: list[str] = []
        if tracemalloc_baseline:
            for diff in snapshot.compare_to(tracemalloc_baseline[0], "lineno")[:15]:
                frame = diff.traceback[0]
                lines.append(f"{diff.size_diff:+10d} B {diff.count_diff:+7d} "
                             f"{frame.filename}:{frame.lineno}")
        tracemalloc_baseline[:] = [snapshot]
        return PlainTextResponse("\n".join(lines))

    async def census(request: Request) -> Response:
        """GET /census[?top=N]: the objects the cyclic collector tracks, by type (most first),
        what a full collection walks; `?referrers=<type>`: for a sample of that type's objects,
        the types of what holds them."""
        from collections import Counter

        def name(o: Any) -> str:
            kind = type(o).__qualname__
            if kind in ("coroutine", "function", "generator"):
                return f"{kind} {o.__qualname__}"
            if kind == "method":
                return f"method {o.__func__.__qualname__}"
            return kind

        kind = request.query_params.get("referrers")
        if kind:  # who holds the objects of this type: a sample, by the holder's type
            import random

            objects = [o for o in gc.get_objects() if type(o).__qualname__ == kind]
            sample = random.sample(objects, min(400, len(objects)))
            counts = Counter(
                "; ".join(sorted({name(r) for r in gc.get_referrers(o) if r is not objects
                                  and r is not sample}))[:160]
                for o in sample
            )
            return PlainTextResponse("\n".join(f"{n:5d} {k}" for k, n in counts.most_common(25)))
        counts = Counter(name(o) for o in gc.get_objects())
        lines = [f"total {sum(counts.values())}"]
        top = int(request.query_params.get("top", 40))
        lines += [f"{n:9d} {name}" for name, n in counts.most_common(top)]
        return PlainTextResponse("\n".join(lines))

    async def health(request: Request) -> Response:
        return PlainTextResponse(str(time.monotonic()))

    @contextlib.asynccontextmanager
    async def lifespan(app: object) -> AsyncIterator[None]:
        async with node.lifespan(app):
            ready_at[0] = time.monotonic()
            try:
                yield
            finally:
                await engine.dispose()

    return Starlette(
        routes=[*live.routes(static=False), endpoint.mount("/socket", BenchSocket()),
                Route("/stats", stats), Route("/commit", commit, methods=["POST"]),
                Route("/memory", memory, methods=["POST"]), Route("/census", census),
                Route("/health", health)],
        lifespan=lifespan,
    )


def raise_file_limit() -> None:
    """One descriptor per connection: lift the soft limit to the hard one."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def serve(
    port: int, database_url: str, prefix: str, trace: bool = False,
    gc_threshold: tuple[int, ...] | None = None,
) -> None:
    import uvicorn

    from liveui import HttpLimits, uvicorn_options

    if trace:
        import tracemalloc

        tracemalloc.start(3)
    raise_file_limit()
    if gc_threshold is not None:  # docs/deployment.md, "The garbage collector"
        gc.set_threshold(*gc_threshold)
    uvicorn.run(build_app(database_url, prefix), host="127.0.0.1", port=port,
                log_level="warning", lifespan="on", backlog=8192, timeout_graceful_shutdown=1,
                # the storm's clients all connect from loopback: no per-address cap
                **uvicorn_options(http_limits=HttpLimits(max_pending_per_address=None)))


def gc_threshold_arg(text: str) -> tuple[int, ...]:
    """`--gc-threshold 700,10,100`: the server's `gc.set_threshold`."""
    return tuple(int(part) for part in text.split(","))
