"""Content types decided by a file's first bytes, whatever its name says."""

from __future__ import annotations

import pytest

from liveui.live.sniff import sniff_type, type_matches


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"PK\x03\x04\x14\x00", "application/zip"),
        (b"hello, world\n", "text/plain"),
        ("caf\u00e9 cr\u00e8me".encode()[:6], "text/plain"),  # a character cut at the end
        (b"MZ\x90\x00\x03\x00\x00\x00", "application/octet-stream"),  # a Windows program
        (b"", "application/octet-stream"),
    ],
)
def test_types_come_from_the_bytes(head: bytes, expected: str) -> None:
    assert sniff_type(head) == expected


def test_accepted_types_and_families() -> None:
    accepted = ("image/*", "application/pdf")
    assert type_matches("image/webp", accepted)
    assert type_matches("application/pdf", accepted)
    assert not type_matches("text/plain", accepted)
    assert not type_matches("application/zip", ("application/pdf",))
