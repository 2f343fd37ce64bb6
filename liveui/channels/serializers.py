"""Wire formats of the Phoenix channel protocol: V1 JSON objects, V2 JSON arrays, V2 binary.

Each serializer encodes the three kinds of server frames (push, reply, broadcast) and decodes
client frames into `Inbound`, raising `DecodeError` for anything malformed.
"""

from __future__ import annotations

import json
import re
import struct
from typing import Any

from ..pubsub.broadcast import Broadcast
from .message import Frame, Inbound

__all__ = [
    "DecodeError",
    "Serializer",
    "V1JSONSerializer",
    "V2JSONSerializer",
    "serializer_for_vsn",
]

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode

# A JSON `\uD800`-`\uDFFF` escape: the only way a lone surrogate gets into a decoded string.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _reject_constant(name: str) -> Any:
    raise DecodeError(f"{name} is not valid JSON")


_loads = json.JSONDecoder(parse_constant=_reject_constant).decode

PUSH, REPLY, BROADCAST = 0, 1, 2


class DecodeError(ValueError):
    """The client sent a frame that is not a well-formed channel message."""


def _load_json(data: str) -> Any:
    """Strict JSON: what phoenix.js can parse back (no NaN/Infinity, no lone surrogates).

    Anything else would be echoed or broadcast to other clients as text they cannot parse, or
    that the transport cannot even encode as UTF-8; deep nesting must not crash the reader.
    """
    try:
        value = _loads(data)
    except DecodeError:
        raise
    except (ValueError, RecursionError) as exc:
        raise DecodeError(f"invalid JSON: {exc}"[:200]) from None
    if "\\u" in data and _SURROGATE_ESCAPE.search(data):
        try:
            _dumps(value).encode()
        except UnicodeEncodeError:
            raise DecodeError("invalid JSON: a lone UTF-16 surrogate") from None
    return value


def _check_ref(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise DecodeError(f"{name} must be a string or null")


def _check_name(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise DecodeError(f"{name} must be a non-empty string")
    return value


class Serializer:
    vsn = ""

    def encode_push(self, join_ref: str | None, topic: str, event: str, payload: Any) -> Frame:
        raise NotImplementedError

    def encode_reply(
        self, join_ref: str | None, ref: str | None, topic: str, status: str, response: Any
    ) -> Frame:
        raise NotImplementedError

    def encode_control(self, join_ref: str | None, topic: str, event: str, payload: Any) -> Frame:
        """`phx_close` / `phx_error`: a channel event whose ref is the join_ref (Phoenix's
        `encode!` of a message carrying a ref, which pushes do not)."""
        raise NotImplementedError

    def encode_broadcast(self, message: Broadcast) -> Frame:
        return self.encode_push(None, message.topic, message.event, message.payload)

    def decode(self, data: Frame) -> Inbound:
        raise NotImplementedError


class V2JSONSerializer(Serializer):
    """`[join_ref, ref, topic, event, payload]`, and binary frames for bytes payloads."""

    vsn = "2.0.0"

    def encode_push(self, join_ref: str | None, topic: str, event: str, payload: Any) -> Frame:
        if isinstance(payload, bytes | bytearray | memoryview):
            if join_ref is None:
                return _binary(BROADCAST, [topic, event], payload)
            return _binary(PUSH, [join_ref, topic, event], payload)
        return _dumps([join_ref, None, topic, event, payload])

    def encode_reply(
        self, join_ref: str | None, ref: str | None, topic: str, status: str, response: Any
    ) -> Frame:
        if isinstance(response, bytes | bytearray | memoryview):
            return _binary(REPLY, [join_ref or "", ref or "", topic, status], response)
        return _dumps([join_ref, ref, topic, "phx_reply", {"status": status, "response": response}])

    def encode_control(self, join_ref: str | None, topic: str, event: str, payload: Any) -> Frame:
        return _dumps([join_ref, join_ref, topic, event, payload])

    def decode(self, data: Frame) -> Inbound:
        if isinstance(data, bytes):
            return _decode_binary(data)
        frame = _load_json(data)
        if not isinstance(frame, list) or len(frame) != 5:
            raise DecodeError("a V2 frame is a list [join_ref, ref, topic, event, payload]")
        join_ref, ref, topic, event, payload = frame
        return Inbound(
            _check_ref(join_ref, "join_ref"),
            _check_ref(ref, "ref"),
            _check_name(topic, "topic"),
            _check_name(event, "event"),
            payload,
        )


class V1JSONSerializer(Serializer):
    """`{"topic", "event", "payload", "ref", "join_ref"}`; the server omits join_ref."""

    vsn = "1.0.0"

    def encode_push(self, join_ref: str | None, topic: str, event: str, payload: Any) -> Frame:
        if isinstance(payload, bytes | bytearray | memoryview):
            raise TypeError("the V1 serializer cannot carry binary payloads")
        return _dumps({"topic": topic, "event": event, "payload": payload, "ref": None})

    def encode_reply(
        self, join_ref: str | None, ref: str | None, topic: str, status: str, response: Any
    ) -> Frame:
        if isinstance(response, bytes | bytearray | memoryview):
            raise TypeError("the V1 serializer cannot carry binary payloads")
        payload = {"status": status, "response": response}
        return _dumps({"topic": topic, "event": "phx_reply", "payload": payload, "ref": ref})

    def encode_control(self, join_ref: str | None, topic: str, event: str, payload: Any) -> Frame:
        return _dumps({"topic": topic, "event": event, "payload": payload, "ref": join_ref})

    def decode(self, data: Frame) -> Inbound:
        if isinstance(data, bytes):
            raise DecodeError("the V1 serializer takes text frames only")
        frame = _load_json(data)
        if not isinstance(frame, dict):
            raise DecodeError("a V1 frame is an object {topic, event, payload, ref}")
        return Inbound(
            _check_ref(frame.get("join_ref"), "join_ref"),
            _check_ref(frame.get("ref"), "ref"),
            _check_name(frame.get("topic"), "topic"),
            _check_name(frame.get("event"), "event"),
            frame.get("payload", {}),
        )


def _binary(kind: int, fields: list[str], payload: bytes | bytearray | memoryview) -> bytes:
    encoded = [f.encode() for f in fields]
    for field in encoded:
        if len(field) > 255:
            raise ValueError("binary frame fields are limited to 255 bytes")
    header = struct.pack(f"B{len(encoded)}B", kind, *(len(f) for f in encoded))
    return header + b"".join(encoded) + bytes(payload)


def _decode_binary(data: bytes) -> Inbound:
    if len(data) < 5 or data[0] != PUSH:
        raise DecodeError("a binary client frame must be a push (kind 0) with a 5-byte header")
    lengths = data[1:5]
    offset = 5
    fields: list[str] = []
    for length in lengths:
        chunk = data[offset : offset + length]
        if len(chunk) != length:
            raise DecodeError("binary frame shorter than its header says")
        try:
            fields.append(chunk.decode())
        except UnicodeDecodeError:
            raise DecodeError("binary frame header fields must be UTF-8") from None
        offset += length
    join_ref, ref, topic, event = fields
    return Inbound(
        join_ref or None,
        ref or None,
        _check_name(topic, "topic"),
        _check_name(event, "event"),
        data[offset:],
    )


_SERIALIZERS: dict[str, Serializer] = {"1": V1JSONSerializer(), "2": V2JSONSerializer()}


def serializer_for_vsn(vsn: str | None) -> Serializer | None:
    """The serializer for a client's `vsn` ("1.x" or "2.x"; missing means 1.0.0), else None."""
    major = (vsn or "1.0.0").split(".", 1)[0]
    return _SERIALIZERS.get(major)
