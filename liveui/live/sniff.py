"""What a file is, from its first bytes: the content types an upload's limits accept.

A browser sends the type it guesses from the file's name, and a name can be anything; so an
upload's type is decided by these signatures instead (the few formats apps usually accept).
Anything not recognised is `application/octet-stream`, and `text/plain` when the start is
valid UTF-8 with no control characters.
"""

from __future__ import annotations

__all__ = ["SNIFF_BYTES", "sniff_type", "type_matches"]

SNIFF_BYTES = 16
"""How many leading bytes `sniff_type` needs."""

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
)


def sniff_type(head: bytes) -> str:
    """The content type of a file starting with `head` (at least `SNIFF_BYTES` of it, or all)."""
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head:
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut by the end of `head` is still text.
            text = head[: exc.start].decode("utf-8") if exc.start >= len(head) - 3 else "\x00"
        if all(ch.isprintable() or ch in "\t\r\n\f" for ch in text):
            return "text/plain"
    return "application/octet-stream"


def type_matches(content_type: str, accepted: tuple[str, ...]) -> bool:
    """Whether `content_type` is one of `accepted` ("image/png", or a family: "image/*")."""
    family = content_type.split("/", 1)[0] + "/*"
    return content_type in accepted or family in accepted
