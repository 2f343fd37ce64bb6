"""Live-UI latency: commit-to-DOM-updated time in Chromium, for single commits or bursts.

    python -m bench.live_latency [--rounds 200] [--burst 1] [--transport sse|ws] [--window 0.02]

A real uvicorn serves a page with a live badge; each round commits `--burst` orders, one
transaction each, back to back through SQLAlchemy (the real Dispatch recounts and broadcasts),
and a MutationObserver in the page timestamps the moment the badge shows the round's final
value. Latency = DOM-updated time - the time right after the round's last commit (both wall
clock on this machine). The dispatch's SELECTs are counted per round (after it is idle). The
last line is `p50_ms=<x> p99_ms=<y> recounts_per_round=<r> queries_per_round=<q>`.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import jinja2
from sqlalchemy import ForeignKey, String, event
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bench.measure import percentile
from liveui import Dispatch, DispatchSettings, LiveUI, Node, counter
from liveui.testing import CHROMIUM_ARGS, serve

PAGE = """<!doctype html><html><head><title>bench</title>{{ liveui_head() }}</head>
<body>{{ live_badge("pending") }}</body></html>"""
OBSERVE = """() => {
  window.__seen = {};
  const badge = document.querySelector('[data-counter="pending"]').parentNode;
  new MutationObserver(() => {
    const el = document.querySelector('[data-counter="pending"]');
    const v = el && el.textContent;
    if (v && !(v in window.__seen)) {
      window.__seen[v] = performance.timeOrigin + performance.now();
    }
  }).observe(badge, {subtree: true, childList: true, characterData: true});
}"""


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20), default="")


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    __counters__ = [
        counter("pending", where=lambda: Order.status == "pending", owner=lambda: Order.user_id)
    ]


def build(db: Path, transport: str, window: float) -> Starlette:
    engine = create_async_engine(f"sqlite+aiosqlite:///{db}")
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    node = Node()
    dispatch = Dispatch(DispatchSettings(models=[Order], user_model=User, coalesce_window=window),
                        node=node, engine=engine)
    dispatch.install(sessions)
    live = LiveUI(node=node, dispatch=dispatch, secret_key="bench", debug=True,
                  transport="ws" if transport == "ws" else "sse", get_user_id=lambda r: 1)
    env = jinja2.Environment(loader=jinja2.DictLoader({"page.html": PAGE}), autoescape=True)
    live.install_templates(env)

    async def page(request: Request) -> Response:
        await live.prepare(request)
        return HTMLResponse(env.get_template("page.html").render(request=request))

    async def setup(request: Request) -> Response:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        async with sessions() as s:
            s.add(User(id=1))
            await s.commit()
        return JSONResponse({})

    selects = [0]

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects[0] += 1

    async def commit(request: Request) -> Response:
        for _ in range(int(request.query_params.get("count", "1"))):
            async with sessions() as s:
                s.add(Order(user_id=1))
                await s.commit()
        return JSONResponse({"t": time.time() * 1000})

    async def stats(request: Request) -> Response:
        await dispatch.wait_idle()
        return JSONResponse({"selects": selects[0], "recounts": dispatch.coalescer.recomputes})

    return Starlette(
        routes=[*live.routes(), Route("/", page), Route("/setup", setup, methods=["POST"]),
                Route("/commit", commit, methods=["POST"]), Route("/stats", stats)],
        lifespan=live.node.lifespan,
    )




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", "--updates", type=int, default=200)
    parser.add_argument("--burst", type=int, default=1, help="commits per round, back to back")
    parser.add_argument("--transport", choices=["sse", "ws"], default="sse")
    parser.add_argument(
        "--window", type=float, default=DispatchSettings().coalesce_window,
        help="dispatch coalescing window in seconds (default: the library default, 0.02); "
        "0 measures the pipeline alone",
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    with tempfile.TemporaryDirectory() as tmp, serve(
        build(Path(tmp) / "bench.db", args.transport, args.window), timeout_graceful_shutdown=1
    ) as server, sync_playwright() as pw, httpx.Client(base_url=server.url) as client:
        client.post("/setup").raise_for_status()
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(server.url + "/")
        page.wait_for_function("window.liveui && window.liveui.lastEventId() !== null")
        page.evaluate(OBSERVE)
        latencies: list[float] = []
        before = client.get("/stats").json()
        for round_ in range(1, args.rounds + 1):
            value = round_ * args.burst
            committed: Any = client.post("/commit", params={"count": args.burst}).json()["t"]
            page.wait_for_function(f"window.__seen['{value}'] !== undefined", timeout=10_000)
            latencies.append(page.evaluate(f"window.__seen['{value}']") - committed)
        after = client.get("/stats").json()
        browser.close()
    recounts = (after["recounts"] - before["recounts"]) / args.rounds
    queries = (after["selects"] - before["selects"]) / args.rounds
    print(f"transport={args.transport} window_s={args.window} burst={args.burst} "
          f"rounds={len(latencies)} mean_ms={statistics.fmean(latencies):.2f} "
          f"max_ms={max(latencies):.2f}")
    print(f"p50_ms={percentile(latencies, 0.5):.2f} p99_ms={percentile(latencies, 0.99):.2f} "
          f"recounts_per_round={recounts:.2f} queries_per_round={queries:.2f}")


if __name__ == "__main__":
    main()
