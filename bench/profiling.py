"""The profilers a bench server offers, as Starlette endpoints (POST):

- `cpu_profile_endpoint()`: `?on=1` starts cProfile, a call without it stops it and answers the
  top functions by own time (30) and by cumulative time (40);
- `memory_endpoint(per, count)`: `?mark=1` takes a tracemalloc snapshot; a call without it
  answers the growth since, per `per` (a tab, a session: `count(request)` of them), by file and
  by line (tracemalloc must have been started with the process).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

__all__ = ["cpu_profile_endpoint", "memory_endpoint"]

Endpoint = Callable[[Request], Awaitable[Response]]


def cpu_profile_endpoint() -> Endpoint:
    profiler: Any = None

    async def cpu_profile(request: Request) -> Response:
        nonlocal profiler
        import cProfile
        import io
        import pstats

        if request.query_params.get("on") == "1":
            # CPU time of the process (the database driver's threads included), not the wall
            # clock: an await's wait for a thread or a socket is not the server's work.
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            return PlainTextResponse("on")
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("tottime")
        stats.print_stats(30)
        stats.sort_stats("cumulative").print_stats(40)
        return PlainTextResponse(out.getvalue())

    return cpu_profile


def memory_endpoint(per: str, count: Callable[[Request], int]) -> Endpoint:
    baseline: Any = None

    async def memory(request: Request) -> Response:
        nonlocal baseline
        import tracemalloc

        gc.collect()
        if request.query_params.get("mark") == "1":
            baseline = tracemalloc.take_snapshot()
            return PlainTextResponse("marked")
        snapshot = tracemalloc.take_snapshot()
        n = max(1, count(request))
        lines = []
        for group in ("filename", "lineno"):
            diff = snapshot.compare_to(baseline, group)
            total = sum(d.size_diff for d in diff)
            lines.append(f"-- by {group}: {total / 1024 / n:.2f} KB/{per} traced")
            for d in diff[:30]:
                frame = d.traceback[0]
                lines.append(f"{d.size_diff / n:9.0f} B/{per} {d.count_diff:+8d} "
                             f"{frame.filename}:{frame.lineno if group == 'lineno' else ''}")
        return PlainTextResponse("\n".join(lines))

    return memory
