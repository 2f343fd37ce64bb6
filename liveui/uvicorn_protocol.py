"""`UvicornWebSocketProtocol`: uvicorn's sans-I/O WebSocket protocol, plus the raw-frames ASGI
extension (see `ws_frames`), so a broadcast is encoded once and written to each connection
without going through uvicorn's per-message framing.

    uvicorn.run(app, ws=UvicornWebSocketProtocol, ws_per_message_deflate=False)

Everything else is uvicorn's: the handshake, pings, flow control, closing. Raw frames are
written only between whole frames of uvicorn's own, while the connection is open and its socket
buffer below the high-water mark; otherwise the app falls back to the ASGI `send`, which waits.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

from .ws_frames import RAW_FRAMES

__all__ = ["UvicornWebSocketProtocol"]

_OPEN = State.OPEN


class UvicornWebSocketProtocol(WebSocketsSansIOProtocol):
    async def run_asgi(self) -> None:
        self.scope["extensions"][RAW_FRAMES] = {"write": self.write_frames}
        await super().run_asgi()

    def write_frames(self, data: bytes) -> bool:
        """Write whole, pre-encoded frames now; False (nothing written) if the app must wait."""
        if self.conn.state is not _OPEN or self.disconnected or not self.writable.is_set():
            return False
        self.transport.write(data)
        return True
