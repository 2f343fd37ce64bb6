"""`UvicornHttpProtocol` under a real uvicorn (`serve` uses `uvicorn_options()`): request
bodies that arrive over many reads and responses the client reads slower than they are written
exercise the two events it replaces (the request's body arrival, flow control)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route

from liveui import UvicornHttpProtocol, uvicorn_options
from liveui.testing import serve

CHUNK = b"x" * 65536


async def count_upload(request: Request) -> PlainTextResponse:
    size = 0
    async for part in request.stream():
        size += len(part)
    return PlainTextResponse(str(size))


async def download(request: Request) -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        for _ in range(int(request.query_params["chunks"])):
            yield CHUNK

    return StreamingResponse(body(), media_type="application/octet-stream")


APP = Starlette(routes=[Route("/upload", count_upload, methods=["POST"]),
                        Route("/download", download)])


def test_uvicorn_options_name_it() -> None:
    assert uvicorn_options()["http"] is UvicornHttpProtocol


async def test_a_body_sent_in_many_parts_arrives_whole() -> None:
    async def parts() -> AsyncIterator[bytes]:
        for _ in range(64):  # 4 MiB, written as the server reads
            yield CHUNK
            await asyncio.sleep(0)

    with serve(APP) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            answer = await client.post("/upload", content=parts())
    assert answer.status_code == 200 and answer.text == str(64 * len(CHUNK))


async def test_a_response_read_slowly_pauses_the_writer_and_arrives_whole() -> None:
    chunks = 256  # 16 MiB: far past the transport's high-water mark while the client sleeps
    with serve(APP) as server:
        async with (
            httpx.AsyncClient(base_url=server.url, timeout=30) as client,
            client.stream("GET", "/download", params={"chunks": chunks}) as response,
        ):
            received = 0
            async for part in response.aiter_raw():
                if received == 0:
                    await asyncio.sleep(0.3)  # the server fills the socket and waits
                received += len(part)
    assert received == chunks * len(CHUNK)


def test_the_head_bound_makes_room_for_the_longest_upgrade_line() -> None:
    from liveui import HttpLimits

    assert uvicorn_options()["http"].limits.max_head_bytes == 32 * 1024
    # the default request line (20 KiB) and a smaller head asked for: raised to fit it
    raised = uvicorn_options(http_limits=HttpLimits(max_head_bytes=8 * 1024, max_headers=50))
    assert raised["http"].limits.max_head_bytes == 32 * 1024
    assert raised["http"].limits.max_headers == 50
    assert raised["h11_max_incomplete_event_size"] == 32 * 1024


async def test_a_streamed_response_does_not_hold_its_request_url() -> None:
    """The scope holds its own path and query: the protocol lets go of the URL it parsed (a
    live stream's request lasts as long as its tab)."""
    query = "q=" + "u" * 900
    with serve(APP) as server:
        async with (
            httpx.AsyncClient(base_url=server.url, timeout=30) as client,
            client.stream("GET", f"/download?chunks=64&{query}") as response,
        ):
            assert response.status_code == 200
            protocols = [c for c in server.server.server_state.connections
                         if isinstance(c, UvicornHttpProtocol)]
            assert len(protocols) == 1  # the one request, still streaming
            assert protocols[0].url == b""
            assert protocols[0].scope["query_string"] == f"chunks=64&{query}".encode()
            size = sum([len(part) async for part in response.aiter_bytes()])
    assert size == 64 * len(CHUNK)
