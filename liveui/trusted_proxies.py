"""Which client addresses are the server's trusted proxies (uvicorn's `forwarded_allow_ips`,
when `proxy_headers` is on): addresses and networks, comma-separated or a list, or "*"."""

from __future__ import annotations

import ipaddress
import weakref
from collections.abc import Callable

from uvicorn.config import Config

__all__ = ["address_matcher", "proxies_of"]

_PROXIES: weakref.WeakKeyDictionary[Config, Callable[[str], bool]] = (
    weakref.WeakKeyDictionary()
)


def proxies_of(config: Config) -> Callable[[str], bool]:
    """The test of `config`'s trusted proxies (none unless `proxy_headers` is on), made once
    per server configuration."""
    found = _PROXIES.get(config)
    if found is None:
        allowed = config.forwarded_allow_ips if config.proxy_headers else []
        found = _PROXIES[config] = address_matcher(allowed)
    return found


def address_matcher(allowed: str | list[str]) -> Callable[[str], bool]:
    """A test of whether an address is in `allowed` (addresses, networks, "*", or names)."""
    items = [a.strip() for a in (allowed.split(",") if isinstance(allowed, str) else allowed)]
    if "*" in items:
        return lambda host: True
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    names: set[str] = set()
    for item in filter(None, items):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            names.add(item)  # not an address (a socket path): compared as text

    def trusted(host: str) -> bool:
        if host in names:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in networks)

    return trusted
