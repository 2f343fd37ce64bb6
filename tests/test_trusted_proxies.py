"""`address_matcher`: addresses, networks (IPv4 and IPv6), "*", and names compared as text."""

from __future__ import annotations

from liveui.trusted_proxies import address_matcher


def test_addresses_networks_and_names() -> None:
    trusted = address_matcher("127.0.0.1, 10.0.0.0/8,fd00::/8 ,unix:/run/app.sock")
    assert trusted("127.0.0.1") and trusted("10.2.3.4") and trusted("fd00::1")
    assert trusted("unix:/run/app.sock")
    assert not trusted("127.0.0.2") and not trusted("192.168.0.1") and not trusted("::1")
    assert not trusted("not an address")


def test_everything_or_nothing() -> None:
    assert address_matcher(["*"])("203.0.113.9")
    assert not address_matcher([])("127.0.0.1")
    assert not address_matcher("")("127.0.0.1")
