"""Server memory while a large upload arrives: liveui's streaming reader against naive reads.

    python -m bench.uploads [--size-mb 50]

Each case starts a fresh uvicorn server in a subprocess, sends one multipart upload of
`--size-mb` MB (a streamed body: the client holds one 64 KB chunk at a time) and reads the
server's peak resident memory (VmHWM) against its resident memory before the upload:

- liveui refused: `receive_form` with a 1 MB file limit (the demo's ticket form): the body is cut
  off once it is far over anything the form can need.
- liveui wrong type: a 100 MB limit, but the file is text named .png: read to its end and
  dropped as it comes, never kept.
- liveui accepted: a 100 MB limit and a real PNG header: streamed into a temporary file.
- naive body: `await request.body()`, the whole body in memory, then parsed.
- starlette form: `await request.form()` (files spooled to disk past 1 MB, but no size limit:
  the whole upload is written before anyone can refuse it).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from liveui.testing import free_port

CASES = ("liveui-refused", "liveui-wrong-type", "liveui-accepted", "naive-body", "starlette-form")
CHUNK = 64 * 1024


def build_app(upload_dir: str) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse, Response
    from starlette.routing import Route

    from liveui import FileField, Form, receive_form
    from liveui.live.uploads import BodyTooLarge

    small = Form("small", FileField("doc", max_size=1024 * 1024, accept=("image/png",)))
    large = Form("large", FileField("doc", max_size=100 * 1024 * 1024, accept=("image/png",)))

    async def liveui(request: Request) -> Response:
        form = small if request.path_params["case"] == "liveui-refused" else large
        try:
            received = await receive_form(request, form, upload_dir=upload_dir)
        except BodyTooLarge:
            return PlainTextResponse("too large", status_code=413)
        async with received:
            result = form.validate(received.fields, received.files)
            return JSONResponse({"errors": result.errors,
                                 "sizes": [u.size for u in received.uploads()]})

    async def naive(request: Request) -> Response:
        body = await request.body()
        return JSONResponse({"bytes": len(body)})

    async def starlette_form(request: Request) -> Response:
        async with request.form(max_part_size=1024 * 1024) as form:
            return JSONResponse({"fields": len(form)})

    return Starlette(routes=[
        Route("/naive-body", naive, methods=["POST"]),
        Route("/starlette-form", starlette_form, methods=["POST"]),
        Route("/{case}", liveui, methods=["POST"]),
    ])


def serve(port: int, upload_dir: str) -> None:
    import uvicorn

    uvicorn.run(build_app(upload_dir), host="127.0.0.1", port=port, log_level="warning")


def kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def body(size: int, head: bytes) -> Iterator[bytes]:
    yield (b'--B\r\nContent-Disposition: form-data; name="doc"; filename="doc.png"\r\n'
           b"Content-Type: image/png\r\n\r\n") + head
    chunk, sent = b"plain text line\n" * (CHUNK // 16), 0
    while sent < size:
        yield chunk
        sent += len(chunk)
    yield b"\r\n--B--\r\n"


def run_case(case: str, size: int) -> tuple[float, float, int]:
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        server = subprocess.Popen(
            [sys.executable, "-m", "bench.uploads", "--serve", str(port), "--dir", folder])
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            before = kb(server.pid, "VmRSS")
            head = b"\x89PNG\r\n\x1a\n" if case == "liveui-accepted" else b""
            started = time.perf_counter()
            response = httpx.post(
                f"http://127.0.0.1:{port}/{case}", content=body(size, head), timeout=120,
                headers={"Content-Type": "multipart/form-data; boundary=B"})
            elapsed = time.perf_counter() - started
            peak = kb(server.pid, "VmHWM")
        finally:
            server.terminate()
            server.wait(10)
        left = len(os.listdir(folder))
    return (peak - before) / 1024, elapsed, response.status_code * 100 + min(left, 99)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=50)
    parser.add_argument("--serve", type=int)
    parser.add_argument("--dir")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.dir)
        return
    size = args.size_mb * 1024 * 1024
    print(f"one {args.size_mb} MB upload per case; server peak RSS growth over its RSS before")
    print(f"{'case':<20} {'status':>6} {'peak growth MB':>15} {'seconds':>8} {'files left':>10}")
    for case in CASES:
        growth, elapsed, code = run_case(case, size)
        status, left = divmod(code, 100)
        print(f"{case:<20} {status:>6} {growth:>15.1f} {elapsed:>8.2f} {left:>10}")


if __name__ == "__main__":
    main()
