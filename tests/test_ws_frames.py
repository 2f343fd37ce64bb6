"""Frames encoded once for many connections are the frames websockets itself would write."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode

from liveui.ws_frames import encode_frame, encode_text_frame


def _reference(opcode: Opcode, data: bytes) -> bytes:
    return Frame(opcode, data).serialize(mask=False)


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_a_frame_is_what_websockets_writes(size: int) -> None:
    text = "é" * (size // 2) + "x" * (size % 2)
    assert encode_frame(text) == _reference(Opcode.TEXT, text.encode())
    assert encode_frame(text.encode()) == _reference(Opcode.BINARY, text.encode())


@pytest.mark.parametrize("size", [0, 100, 126, 65530, 70000])
def test_a_text_frame_of_a_shared_body_and_an_own_head(size: int) -> None:
    body = "<b>ü</b>" * (size // 9)
    heads = ["<!--live:abc-1-->", "<!--live:abc-22-->"]
    for head in heads:  # the second reuses the body's encoding
        assert encode_text_frame(head, body) == _reference(Opcode.TEXT, (head + body).encode())
    other = body + "!"
    expected = _reference(Opcode.TEXT, (heads[0] + other).encode())
    assert encode_text_frame(heads[0], other) == expected
