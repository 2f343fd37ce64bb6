"""Where a server's memory per connection goes: tracemalloc in the server, read over HTTP.

    POST /debug/memory?mark=1   take the baseline snapshot
    POST /debug/memory          the growth since, per connection, by file and by line
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

__all__ = ["memory_route", "start_tracing"]


def start_tracing() -> None:
    import tracemalloc

    tracemalloc.start(4)


def memory_route(connections: Callable[[], int]) -> Any:
    """A Starlette route reporting the traced growth divided by `connections()`."""
    import tracemalloc

    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    baseline: list[Any] = []

    async def memory(request: Request) -> PlainTextResponse:
        gc.collect()
        if request.query_params.get("mark") == "1":
            baseline[:] = [tracemalloc.take_snapshot()]
            return PlainTextResponse("marked")
        snapshot, count = tracemalloc.take_snapshot(), max(1, connections())
        lines = []
        for group in ("filename", "lineno"):
            diff = snapshot.compare_to(baseline[0], group)
            total = sum(d.size_diff for d in diff)
            lines.append(f"-- by {group}: {total / 1024 / count:.2f} KB/connection traced")
            for d in diff[:30]:
                frame = d.traceback[0]
                line = frame.lineno if group == "lineno" else ""
                lines.append(f"{d.size_diff / count:9.0f} B/conn {d.count_diff:+8d} "
                             f"{frame.filename}:{line}")
        return PlainTextResponse("\n".join(lines))

    return Route("/debug/memory", memory, methods=["POST"])
