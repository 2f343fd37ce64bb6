"""Channels: a Phoenix-Channels-compatible server (the official phoenix.js client works unchanged).

Three layers kept apart: `transports/` move bytes and know close codes; `serializers` and
`message` define the wire format; `socket`, `channel`, `user_channel` and `endpoint` are what
applications use (import them from `liveui`).
"""
