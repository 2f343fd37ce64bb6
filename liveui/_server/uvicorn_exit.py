"""Whether uvicorn is shutting down, read from its SIGTERM handler.

uvicorn waits for open responses before it runs the lifespan's shutdown, so an SSE stream must
end by itself when the server exits. sse-starlette's flag covers servers it hooks; uvicorn's
own flag is reached through the signal handler it installs (a bound method of its `Server`).
"""

from __future__ import annotations

import contextlib
import signal
from typing import Any

from .reliances import stock_fallback

__all__ = ["uvicorn_exiting"]


def uvicorn_exiting() -> bool:
    if stock_fallback("uvicorn_exit"):
        return False
    handler: Any = signal.getsignal(signal.SIGTERM)
    with contextlib.suppress(Exception):
        return bool(handler.__self__.should_exit)
    return False
