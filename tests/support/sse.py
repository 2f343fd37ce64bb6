"""Reading a Server-Sent Events stream from an httpx response, event by event."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

__all__ = ["sse_events"]


async def sse_events(response: httpx.Response) -> AsyncIterator[dict[str, str]]:
    """Yield each event as its fields (`event`, `data`, `id`, …); ends when the stream does."""
    event: dict[str, str] = {}
    async for line in response.aiter_lines():
        if not line:
            if event:
                yield event
            event = {}
            continue
        key, _, value = line.partition(":")
        event[key] = event.get(key, "") + value.lstrip(" ")
