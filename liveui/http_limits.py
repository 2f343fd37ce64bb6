"""`HttpLimits`: how much, and how slowly, a client may send before its request reaches the app.

Every HTTP request (WebSocket upgrades included) is bounded while it is read, by the HTTP
protocol `uvicorn_options()` names:

- the request line plus headers: at most `max_head_bytes` in all and `max_headers` fields,
  else 431 and close. Counted as bytes arrive, so a head that never ends costs at most this
  plus one socket read;
- time: a request head must be complete within `header_timeout` seconds of its first byte (of
  the connection's opening, for a connection's first request), and a body must keep arriving
  at `body_min_rate` bytes per second after a `body_timeout` grace, else 408 and close. Time
  spent while the app itself has paused reading does not count. Nothing is timed once a request
  has arrived whole: a long SSE response, a long poll or an upgraded WebSocket is untouched;
- `max_pending_per_address`: connections from one address whose first request has not yet
  arrived whole (nor upgraded). One more is answered 429 and closed at once. The trusted
  proxies (`uvicorn_options(forwarded_allow_ips=...)`) are not capped: every client arrives
  through them (they should hold their own limits); `None` turns the cap off.

The defaults follow common front-end servers: nginx allows 1 KiB + 4 x 8 KiB of headers and 60 s;
Apache's `mod_reqtimeout` 20-40 s for headers and 500 bytes/s for bodies.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_HTTP_LIMITS", "HttpLimits"]


@dataclass(frozen=True)
class HttpLimits:
    max_head_bytes: int = 32 * 1024
    max_headers: int = 100
    header_timeout: float = 10.0
    body_timeout: float = 10.0
    body_min_rate: float = 1024.0
    max_pending_per_address: int | None = 64

    def __post_init__(self) -> None:
        if self.max_head_bytes < 1024 or self.max_headers < 1:
            raise ValueError("HttpLimits: max_head_bytes >= 1024 and max_headers >= 1")
        if min(self.header_timeout, self.body_timeout) <= 0 or self.body_min_rate <= 0:
            raise ValueError("HttpLimits: timeouts and body_min_rate must be positive")
        if self.max_pending_per_address is not None and self.max_pending_per_address < 1:
            raise ValueError("HttpLimits: max_pending_per_address must be >= 1 or None")


DEFAULT_HTTP_LIMITS = HttpLimits()
