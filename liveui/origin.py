"""The Origin check of both WebSockets (cross-site WebSocket hijacking defence).

A browser always sends `Origin` on a WebSocket upgrade, and a page on another site cannot forge
it; cookies, however, ride along with the upgrade. So an upgrade whose Origin is not this site
is refused (HTTP 403) before any application code sees it. The policy:

- `True` (the default): the whole origin must be this site's: its scheme the request's own
  (`http` for a `ws` request, `https` for `wss`), its host and port the request's `Host`;
- a sequence of allowed origins: `"https://app.example.com"` (scheme, host and port must match),
  `"//app.example.com"` (any scheme and port), `"https://*.example.com"` (any subdomain);
- `False`: no check (only for sockets authenticated by a token that is never in a cookie).

An Origin is a scheme, host and port only: one with user-info (`http://a@b`), a path, a query
or a fragment is not a browser's and is refused. A request without `Origin` is not from a
browser's page (curl, a server, a native app): it is
accepted, and its token or credentials decide. `Origin: null` (sandboxed frames, file://) is
refused unless the check is off.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

__all__ = ["OriginPolicy", "origin_allowed"]

OriginPolicy = bool | Sequence[str]

_DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}


def _split(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port or None) of an origin or allow-list entry; None if unparsable."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return None
    if not host:
        return None
    scheme = parts.scheme.lower()
    if port is None and scheme in _DEFAULT_PORTS:
        port = _DEFAULT_PORTS[scheme]
    return scheme, host, port


def _split_origin(origin: str) -> tuple[str, str, int | None] | None:
    """`_split` of an `Origin` header, None unless it is only a scheme, host and port."""
    try:
        parts = urlsplit(origin)
        userinfo = parts.username is not None or parts.password is not None
    except ValueError:
        return None
    if userinfo or parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    return _split(origin)


def _host_header(host: str, scheme: str) -> tuple[str, int | None] | None:
    if "@" in host or "/" in host:
        return None
    split = _split(f"{scheme or 'http'}://{host}")
    return None if split is None else (split[1], split[2])


_PAGE_SCHEME = {"ws": "http", "wss": "https"}


def origin_allowed(
    policy: OriginPolicy, origin: str | None, host: str | None, scheme: str | None = None
) -> bool:
    """Whether a request with this `Origin` and `Host` may proceed under `policy`; `scheme`:
    the request's own (the ASGI scope's), which the origin's must match under `True`."""
    if policy is False:
        return True
    if origin is None:
        return True  # not a browser page: see the module docstring
    seen = _split_origin(origin)
    if seen is None:
        return False
    origin_scheme, origin_host, origin_port = seen
    if policy is True:
        if scheme is not None and _PAGE_SCHEME.get(scheme, scheme) != origin_scheme:
            return False
        expected = _host_header(host or "", origin_scheme)
        return expected is not None and expected == (origin_host, origin_port)
    for entry in policy:
        allowed = _split(entry if "//" in entry else "//" + entry)
        if allowed is None:
            continue
        want_scheme, want_host, want_port = allowed
        if want_scheme and want_scheme != origin_scheme:
            continue
        if want_host.startswith("*."):
            if not origin_host.endswith(want_host[1:]):
                continue
        elif want_host != origin_host:
            continue
        if want_port is not None and want_port != origin_port:
            continue
        return True
    return False
