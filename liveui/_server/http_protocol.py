"""`UvicornHttpProtocol`: uvicorn's httptools HTTP protocol with lighter per-connection state.

A live SSE stream is one HTTP request held for the life of a tab. uvicorn keeps an
`asyncio.Event` per connection (flow control) and one per request (the request body's arrival):
~1.4 KB per stream of empty deques. They are replaced by `LightEvent`s, which make storage only
while someone waits. Everything else is uvicorn's.

    uvicorn.run(app, **uvicorn_options())   # this protocol when httptools is installed
    uvicorn myapp:app --http liveui:UvicornHttpProtocol --ws liveui:UvicornWebSocketProtocol
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .light_async import LightEvent

__all__ = ["UvicornHttpProtocol"]


class UvicornHttpProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        flow = self.flow
        writable = LightEvent()
        if not flow.write_paused:
            writable.set()
        flow._is_writable_event = writable  # type: ignore[assignment]

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        # The request's cycle was made just now, in this call; nothing has set or awaited its
        # event yet (its task starts on the next loop iteration, the body callbacks come after).
        cycle = self.cycle
        if cycle is not None and type(cycle.message_event) is asyncio.Event:
            cycle.message_event = LightEvent()  # type: ignore[assignment]
