"""`UvicornHttpProtocol`: uvicorn's httptools HTTP protocol with lighter per-connection state
and every request bounded while it is read.

A live SSE stream is one HTTP request held for the life of a tab. uvicorn keeps an
`asyncio.Event` per connection (flow control) and one per request (the request body's arrival):
~1.4 KB per stream of empty deques. They are replaced by `LightEvent`s, which make storage only
while someone waits.

As shipped, uvicorn bounds neither the size nor the time of a request head or body: one
connection can stream headers until memory runs out, and idle or trickling connections hold
their descriptors for ever. Here the `HttpLimits` of the class apply (see `http_limits`): 431
(414 when the request line alone is too long), 408 or 429, then close; each refusal is one
INFO line on `liveui.http`, at most one per address per window (`RefusalLog`). Malformed
requests are answered 400 the same way, without uvicorn's WARNING. Everything else is uvicorn's.

    uvicorn.run(app, **uvicorn_options())   # this protocol when httptools is installed
    uvicorn myapp:app --http liveui:UvicornHttpProtocol --ws liveui:UvicornWebSocketProtocol
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..http_limits import DEFAULT_HTTP_LIMITS, HttpLimits
from ..log_limit import RefusalLog
from ..trusted_proxies import proxies_of
from .http_deadlines import Deadlines, deadlines_of
from .light_async import LightEvent

__all__ = ["UvicornHttpProtocol"]

log = logging.getLogger("liveui.http")
_refusals = RefusalLog(log)

_REASONS = {
    400: b"Bad Request",
    408: b"Request Timeout",
    414: b"URI Too Long",
    429: b"Too Many Requests",
    431: b"Request Header Fields Too Large",
}
_TEXT = {
    400: b"malformed request",
    408: b"request not received in time",
    414: b"request line too long",
    429: b"too many connections from this address",
    431: b"request headers too large",
}


class _AfterRefusal:
    """The logger of a request cut off by a refusal: what its app does about the disconnect
    (an exception, an unfinished response) follows from the refusal, logged once already."""

    def _log(self, msg: str, *args: Any, **kwargs: Any) -> None:
        log.debug("liveui: after the refusal: %s", msg.strip() % args if args else msg.strip())

    error = warning = info = exception = _log


_AFTER_REFUSAL = _AfterRefusal()


# refusals of a client that may still be sending (see _refuse), and how long and how much of
# what it sends is then read and dropped
_LINGER_AFTER = frozenset((400, 414, 431))
LINGER_SECONDS = 2.0
LINGER_BYTES = 1024 * 1024


def _answer(status: int) -> bytes:
    text = _TEXT[status]
    return b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: %d\r\n" \
        b"connection: close\r\n\r\n%s" % (status, _REASONS[status], len(text), text)


class UvicornHttpProtocol(HttpToolsProtocol):
    limits: ClassVar[HttpLimits] = DEFAULT_HTTP_LIMITS
    # In slots, not the instance dict: past 30 attributes an instance dict stops sharing its
    # keys with the class's other instances and grows from ~0.3 KB to ~1.6 KB per connection.
    __slots__ = (
        "_body_bytes", "_deadlines", "_head_bytes", "_header_count", "_pending_host",
        "_reading_head", "_refusal", "_timed_since",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadlines: Deadlines = deadlines_of(self.loop)
        self._reading_head = True  # between requests, or while a request line/headers arrive
        self._head_bytes = 0  # bytes received since the current head began
        self._header_count = 0
        self._body_bytes = 0  # of the current request body, while it is timed
        self._timed_since = 0.0  # loop time the head (or body) began; 0: not timed
        self._refusal = 0  # a status to answer once the parser returns
        self._pending_host: str | None = None  # counted in `Deadlines.pending`

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        flow = self.flow
        writable = LightEvent()
        if not flow.write_paused:
            writable.set()
        flow._is_writable_event = writable  # type: ignore[assignment]
        cap = self.limits.max_pending_per_address
        host = self.client[0] if self.client else None
        if cap is not None and host is not None and not proxies_of(self.config)(host):
            if self._deadlines.pending[host] >= cap:
                self._refuse(429)
                return
            self._deadlines.pending[host] += 1
            self._pending_host = host
        # the first request is timed from the connection's opening: an idle socket is held
        # no longer than a trickling one
        self._start_timing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timing()
        self._release_pending()
        super().connection_lost(exc)

    # -- reading, bounded ---------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._refusal:  # answered, lingering: see _refuse
            self._head_bytes -= len(data)
            if self._head_bytes <= 0:
                self.transport.close()
            return
        self._unset_keepalive_if_required()
        if self._reading_head:
            if not self._timed_since:
                self._start_timing()
            # counted before parsing: httptools keeps an unfinished header value in memory
            self._head_bytes += len(data)
        elif self._timed_since:
            self._body_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if not self._refusal:
                if self._should_upgrade():
                    self.handle_websocket_upgrade()
                else:
                    self._unsupported_upgrade_warning()
                return
        except httptools.HttpParserError:
            if not self._refusal:
                self._refusal = 400
        if not self._refusal and self._reading_head and (
            self._head_bytes > self.limits.max_head_bytes
        ):
            self._refusal = 431 if self._header_count else 414  # no header yet: the URL
        if self._refusal:
            self._refuse(self._refusal)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_count = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.limits.max_headers:
            self._refusal = 431
            return
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._refusal:
            return
        size = len(self.url) + sum(len(n) + len(v) + 4 for n, v in self.headers)
        if size > self.limits.max_head_bytes:  # a whole head that came in one read
            self._refusal = 414 if len(self.url) > self.limits.max_head_bytes // 2 else 431
            return
        self._reading_head = False
        self._head_bytes = 0
        self._stop_timing()
        super().on_headers_complete()
        # The request's cycle was made just now, in this call; nothing has set or awaited its
        # event yet (its task starts on the next loop iteration, the body callbacks come after).
        cycle = self.cycle
        if cycle is not None and type(cycle.message_event) is asyncio.Event:
            cycle.message_event = LightEvent()  # type: ignore[assignment]
        upgrading = self.parser.should_upgrade()
        if not upgrading:
            # The scope holds its own path and query; uvicorn reads the URL again only to hand
            # an upgrade over. A live stream's request lasts as long as its tab (~1 KB each).
            self.url = b""
        if cycle is not None and cycle.more_body and not upgrading:
            self._body_bytes = 0
            self._start_timing()  # the body: see deadline_passed

    def on_body(self, body: bytes) -> None:
        if not self._refusal:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refusal:
            return
        self._stop_timing()
        self._release_pending()
        self._reading_head = True
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self._stop_timing()
        self._release_pending()
        super().handle_websocket_upgrade()

    def _unsupported_upgrade_warning(self) -> None:
        self._release_pending()  # the request went to the app as it is; nothing more is parsed
        if self.ws_protocol_class is None:  # a server set-up mistake: uvicorn's warning
            super()._unsupported_upgrade_warning()
            return
        host = self.client[0] if self.client else "?"
        _refusals.refused((host, "upgrade"), logging.INFO,
                          "liveui: unsupported upgrade from %s: served as plain HTTP", host)

    # -- time ---------------------------------------------------------------------------------

    def _start_timing(self) -> None:
        self._timed_since = self.loop.time()
        limits = self.limits
        timeout = limits.header_timeout if self._reading_head else limits.body_timeout
        self._deadlines.watch(self, self._timed_since + timeout)

    def _stop_timing(self) -> None:
        if self._timed_since:
            self._timed_since = 0.0
            self._deadlines.unwatch(self)

    def deadline_passed(self, now: float) -> float | None:
        if not self._timed_since or self.transport is None or self.transport.is_closing():
            self._timed_since = 0.0
            return None
        if self._refusal:  # the lingering after a refusal is over
            self._timed_since = 0.0
            self.transport.close()
            return None
        if self.flow.read_paused:  # the server is not reading: the client is not to blame
            if self._reading_head:  # (a pipelined request waits for the one before it)
                self._timed_since = now
                return now + self.limits.header_timeout
            self._timed_since = now - self._body_bytes / self.limits.body_min_rate
            return now + self.limits.body_timeout
        if not self._reading_head:
            allowed = self.limits.body_timeout + self._body_bytes / self.limits.body_min_rate
            if now < self._timed_since + allowed:
                return self._timed_since + allowed
        self._timed_since = 0.0
        self._refuse(408)
        return None

    # -- refusing -----------------------------------------------------------------------------

    def _release_pending(self) -> None:
        host, self._pending_host = self._pending_host, None
        if host is not None:
            pending = self._deadlines.pending
            pending[host] -= 1
            if pending[host] <= 0:
                del pending[host]

    def _refuse(self, status: int) -> None:
        """Answer `status` (unless a response is under way) and close the connection."""
        self._stop_timing()
        self._release_pending()
        self._refusal = status
        transport = self.transport
        if transport.is_closing():
            return
        host = self.client[0] if self.client else "?"
        _refusals.refused(
            (host, status), logging.INFO, "liveui: %d to %s: %s", status, host,
            _TEXT[status].decode(),
        )
        cycle = self.cycle
        # a head refused: unless an earlier response is still going; a body refused: unless
        # its response already began (the app answered without reading it all)
        if cycle is None or (
            cycle.response_complete if self._reading_head else not cycle.response_started
        ):
            transport.write(_answer(status))
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the app's next receive() is a disconnect
            cycle.message_event.set()
            # ...which the app may raise (Starlette: ClientDisconnect); not a server error
            cycle.logger = _AFTER_REFUSAL  # type: ignore[assignment]
        if status in _LINGER_AFTER and not self.flow.read_paused and transport.can_write_eof():
            # A client still sending: closing now, with its bytes unread, makes the kernel
            # answer with a reset, which can destroy the answer before the client reads it.
            # So: the answer, end of our side, then read and drop what it still sends, for a
            # bounded time and amount, and close.
            transport.write_eof()
            self._head_bytes = LINGER_BYTES
            self._timed_since = self.loop.time()
            self._deadlines.watch(self, self._timed_since + LINGER_SECONDS)
            return
        transport.close()
