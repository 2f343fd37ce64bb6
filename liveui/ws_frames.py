"""WebSocket frames encoded once for many connections, and the name of the ASGI extension that
writes them.

A frame from the server is not masked (RFC 6455, section 5.1), so a broadcast's frame is the
same bytes on every connection: encode it once, then each delivery is one socket write. A server
that offers the extension (`liveui.UvicornWebSocketProtocol`) puts, in the connection's scope,
`scope["extensions"][RAW_FRAMES] = {"write": write}`, where `write(data) -> bool` writes the
bytes of whole frames and returns False, writing nothing, when the connection cannot take them
now (its buffer is full, or it is closing); the caller then goes through the ASGI `send`.
"""

from __future__ import annotations

__all__ = ["RAW_FRAMES", "encode_frame", "encode_text_frame"]

RAW_FRAMES = "liveui.raw_frames"

_TEXT, _BINARY = 0x81, 0x82  # FIN + opcode: every frame is a whole message

# The last frame encoded: a broadcast hands the very same object to every connection in a row,
# so one entry, checked by identity, encodes it once per broadcast. A tuple swaps atomically.
_last: tuple[object, bytes] = ("", b"\x81\x00")


def encode_frame(frame: str | bytes) -> bytes:
    """The frame on the wire: text for `str`, binary for `bytes`, unmasked, unfragmented."""
    last = _last
    if last[0] is frame:
        return last[1]
    if isinstance(frame, str):
        first, payload = _TEXT, frame.encode()
    else:
        first, payload = _BINARY, frame
    data = _header(first, len(payload)) + payload
    _set_last(frame, data)
    return data


# The last body encoded by `encode_text_frame`: the tabs a patch goes to share its text object.
_last_body: tuple[str, bytes] = ("", b"")


def encode_text_frame(head: str, body: str) -> bytes:
    """The text frame of `head + body`, where `body` is shared by many connections (a patch
    every tab gets) and `head` is each one's own (its event id): the body is encoded once."""
    global _last_body
    last = _last_body
    if last[0] is body:
        encoded = last[1]
    else:
        encoded = body.encode()
        _last_body = (body, encoded)
    prefix = head.encode()
    return _header(_TEXT, len(prefix) + len(encoded)) + prefix + encoded


def _header(first: int, size: int) -> bytes:
    if size < 126:
        return bytes((first, size))
    if size < 65536:
        return bytes((first, 126)) + size.to_bytes(2, "big")
    return bytes((first, 127)) + size.to_bytes(8, "big")


def _set_last(frame: object, data: bytes) -> None:
    global _last
    _last = (frame, data)
