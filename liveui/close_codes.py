"""WebSocket close codes liveui's servers use, on the channel socket and the live WebSocket.

1000 is never sent: phoenix.js up to 1.8.12 does not reconnect after it, and htmx-ext-ws
reconnects only after 1006, 1011, 1012 and 1013.
"""

from __future__ import annotations

import enum

__all__ = ["CloseCode"]


class CloseCode(enum.IntEnum):
    GOING_AWAY = 1001
    """Idle timeout, disconnect by socket id: the client reconnects."""
    INVALID_DATA = 1007
    """An undecodable frame."""
    POLICY = 1008
    """A policy refused the connection (rate limit exceeded, refused before the upgrade)."""
    TOO_BIG = 1009
    """A frame over the size limit."""
    INTERNAL = 1011
    """The server cannot serve this connection (the live UI's node was never started)."""
    RESTART = 1012
    """The server is shutting down or restarting: come back soon."""
    TRY_AGAIN = 1013
    """The client was too slow (outbound queue overflow): reconnect and resync."""
