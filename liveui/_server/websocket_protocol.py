"""`UvicornWebSocketProtocol`: uvicorn's sans-I/O WebSocket protocol, plus

- the raw-frames ASGI extension (see `ws_frames`), so a broadcast is encoded once and written to
  each connection without going through uvicorn's per-message framing. Raw frames are written
  only between whole frames of uvicorn's own, while the connection is open and its socket buffer
  below the high-water mark; otherwise the app falls back to the ASGI `send`, which waits;
- storage for the receive queue and the flow-control event made only while in use (~4 KB
  less per connection), and the handshake's request and response let go once it is done
  (websockets' handshake parser keeps the request in its frame while it goes on parsing
  frames: once the answer is sent it is replaced by a plain frame parser);
- a text frame that is not UTF-8 closes the connection with 1007 as uvicorn does, but logged as
  the client's mistake it is (one INFO line on `liveui.http`, at most one per address per
  window) instead of uvicorn's ERROR with a traceback.

(Upgrade requests that cannot be parsed are answered by uvicorn itself since 0.55: 414, 431 or
400, then closed.)

    uvicorn.run(app, **uvicorn_options())      # this protocol and the limits that go with it

Everything else is uvicorn's: the handshake, pings, flow control, closing.
"""

from __future__ import annotations

import logging
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import Protocol, State

from ..log_limit import RefusalLog
from ..ws_frames import RAW_FRAMES
from .light_async import LightEvent, LightQueue

__all__ = ["UvicornWebSocketProtocol"]

_OPEN = State.OPEN
_refusals = RefusalLog(logging.getLogger("liveui.http"))


class UvicornWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # uvicorn's receive queue and flow-control event are an asyncio.Queue and an
        # asyncio.Event: ~4 KB per connection of mostly empty deques. The same operations on
        # storage made only while in use (see light_async).
        self.queue = LightQueue()  # type: ignore[assignment]
        self.writable = LightEvent()  # type: ignore[assignment]
        self.writable.set()

    async def run_asgi(self) -> None:
        self.scope["extensions"][RAW_FRAMES] = {"write": self.write_frames}
        await super().run_asgi()

    def send_receive_event_to_app(self) -> None:
        if self.curr_msg_data_type != "text" or self.close_sent:
            super().send_receive_event_to_app()
            return
        data = self.frames[0] if len(self.frames) == 1 else b"".join(self.frames)
        self.frames = []
        try:
            text = data.decode()
        except UnicodeDecodeError:
            host = self.client[0] if self.client else "?"
            _refusals.refused((host, 1007), logging.INFO,
                              "liveui: WebSocket from %s closed with 1007: a text frame was not "
                              "UTF-8", host)
            self.conn.send_close(1007)
            self.handle_parser_exception()
            return
        self.queue.put_nowait({"type": "websocket.receive", "text": text})

    async def send(self, message: Any) -> None:
        await super().send(message)
        if self.handshake_complete and self.response is not None:
            # The handshake's request and response are not read again once it is done, and
            # their headers (websockets' `Headers`: a list per name) are ~20 of the objects the
            # garbage collector would walk for every open connection.
            self.request = self.response = None  # type: ignore[assignment]
            conn = self.conn
            # The handshake parser goes on parsing frames with the request held in its frame
            # for the connection's life (~4 KB). A client sends no frame before the answer, so
            # nothing is half-read yet: a plain frame parser takes over (websockets itself
            # swaps its parser this way). A client that sent early keeps the first one.
            if not conn.reader.buffer:
                conn.parser = Protocol.parse(conn)
                next(conn.parser)

    def write_frames(self, data: bytes) -> bool:
        """Write whole, pre-encoded frames now; False (nothing written) if the app must wait."""
        if self.conn.state is not _OPEN or self.disconnected or not self.writable.is_set():
            return False
        self.transport.write(data)
        return True
