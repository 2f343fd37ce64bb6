"""`python -m tests.multinode.force_logout PUBSUB_URL SOCKET_ID`: an operator's script.

A process outside every node, with its own Hub on the shared backend, broadcasts `disconnect`
on a socket id (what `Endpoint.disconnect` does): every node closes that id's connections with
1001. `Hub.stop` waits for the envelope to reach the backend before the process exits.
"""

from __future__ import annotations

import asyncio
import sys

from liveui import backend_from_url
from liveui.pubsub.hub import Hub


async def force_logout(pubsub_url: str, socket_id: str) -> None:
    hub = Hub(backend_from_url(pubsub_url))
    await hub.start()
    try:
        hub.broadcast(socket_id, "disconnect", {})
    finally:
        await hub.stop()
    if hub.pending_publishes:
        raise SystemExit(f"the disconnect of {socket_id} did not reach {pubsub_url}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    asyncio.run(force_logout(sys.argv[1], sys.argv[2]))
