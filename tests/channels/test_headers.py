"""`AsgiHeaders` reads like the dict the WebSocket handshake used to build."""

from __future__ import annotations

from liveui.channels.headers import AsgiHeaders


def test_reads_like_the_decoded_dict() -> None:
    raw = [(b"host", b"example.org"), (b"x-tag", b"a"), (b"origin", b"https://\xe9.org"),
           (b"x-tag", b"b")]
    expected = {k.decode("latin-1"): v.decode("latin-1") for k, v in raw}
    headers = AsgiHeaders(raw)
    assert dict(headers) == expected and headers == expected
    assert list(headers) == list(expected) and len(headers) == 3
    assert headers["x-tag"] == "b" and headers.get("origin") == "https://\xe9.org"
    assert headers.get("missing") is None and "host" in headers and "\u20ac" not in headers
