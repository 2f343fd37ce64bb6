"""`release_request_head`: a live stream lets go of its request's head once it has read it.

A live stream's scope lives as long as its tab, held by the server for the whole connection.
Its head is read once, at the start: the query string (the signed token and the component
list, ~1 KB) and the headers (1 to 2 KB, held by the server a second time on HTTP/1.1). Emptied
once read, each open tab holds neither — and an access log written when the stream is
answered (uvicorn's) shows the path without the token.
"""

from __future__ import annotations

from starlette.types import Scope

__all__ = ["release_request_head"]


def release_request_head(scope: Scope) -> None:
    """Empty `scope`'s headers and query string (read: the stream needs them no more)."""
    headers = scope.get("headers")
    if isinstance(headers, list):
        # uvicorn's HTTP protocol holds this same list until the connection's next request.
        headers.clear()
    else:
        scope["headers"] = []
    scope["query_string"] = b""
