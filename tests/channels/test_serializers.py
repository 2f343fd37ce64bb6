from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liveui import Broadcast
from liveui.channels.serializers import (
    DecodeError,
    V1JSONSerializer,
    V2JSONSerializer,
    serializer_for_vsn,
)

v2, v1 = V2JSONSerializer(), V1JSONSerializer()


def test_vsn_selection() -> None:
    assert serializer_for_vsn("2.0.0") is serializer_for_vsn("2.1")
    assert isinstance(serializer_for_vsn(None), V1JSONSerializer)
    assert isinstance(serializer_for_vsn("1.0.0"), V1JSONSerializer)
    assert serializer_for_vsn("3.0.0") is None
    assert serializer_for_vsn("x") is None


def test_v2_frames() -> None:
    assert json.loads(v2.encode_reply("3", "5", "room:a", "ok", {"a": 1})) == [
        "3",
        "5",
        "room:a",
        "phx_reply",
        {"status": "ok", "response": {"a": 1}},
    ]
    assert json.loads(v2.encode_push("3", "room:a", "joined", {})) == [
        "3",
        None,
        "room:a",
        "joined",
        {},
    ]
    assert json.loads(v2.encode_broadcast(Broadcast("room:a", "e", {"x": "é"}))) == [
        None,
        None,
        "room:a",
        "e",
        {"x": "é"},
    ]
    message = v2.decode('["3","3","room:lobby","phx_join",{"since":5}]')
    assert (message.join_ref, message.ref, message.topic, message.event, message.payload) == (
        "3",
        "3",
        "room:lobby",
        "phx_join",
        {"since": 5},
    )


def test_v2_binary_frames() -> None:
    assert v2.encode_push("1", "t", "e", b"\x00\xff") == bytes([0, 1, 1, 1]) + b"1te\x00\xff"
    assert v2.encode_reply(None, "9", "t", "ok", b"z") == bytes([1, 0, 1, 1, 2]) + b"9tokz"
    assert v2.encode_broadcast(Broadcast("t", "e", b"q")) == bytes([2, 1, 1]) + b"teq"
    message = v2.decode(bytes([0, 1, 2, 1, 1]) + b"112te" + b"\x01")
    assert (message.join_ref, message.ref, message.topic, message.event, message.payload) == (
        "1",
        "12",
        "t",
        "e",
        b"\x01",
    )


def test_v1_frames() -> None:
    assert json.loads(v1.encode_reply("3", "5", "r", "ok", {})) == {
        "topic": "r",
        "event": "phx_reply",
        "payload": {"status": "ok", "response": {}},
        "ref": "5",
    }
    message = v1.decode('{"topic":"r","event":"e","payload":{"a":1},"ref":"2","join_ref":"1"}')
    assert (message.join_ref, message.ref, message.payload) == ("1", "2", {"a": 1})
    with pytest.raises(TypeError):
        v1.encode_push(None, "r", "e", b"bin")


@pytest.mark.parametrize(
    "frame",
    [
        "nope",
        "{}",
        "[]",
        "[1,2,3,4]",
        '["1","1",null,"e",{}]',
        '["1","1","t","",{}]',
        '["1","1","t",5,{}]',
        '[{},"1","t","e",{}]',
        '["1",true,"t","e",{}]',
    ],
)
def test_v2_malformed(frame: str) -> None:
    with pytest.raises(DecodeError):
        v2.decode(frame)


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"\x01\x00\x00\x00\x00",
        b"\x00\x05\x01\x01\x01ab",
        b"\x00\x01\x01\x01\x01\xff\xfe\xfdab",
    ],
)
def test_v2_malformed_binary(frame: bytes) -> None:
    with pytest.raises(DecodeError):
        v2.decode(frame)


@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_decode_never_raises_anything_but_decode_error(data: str | bytes) -> None:
    for serializer in (v1, v2):
        with contextlib.suppress(DecodeError):
            serializer.decode(data)
