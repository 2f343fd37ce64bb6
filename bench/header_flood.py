"""Request headers that never end: the server's peak memory while clients stream them.

    python -m bench.header_flood [--connections 4] [--mib 128]

For uvicorn's stock httptools protocol (the naive baseline) and for liveui's
(`uvicorn_options()`), a fresh server process is started; `--connections` clients each send a
request line, then `X-Pad` header lines, up to `--mib` MiB, stopping when the server answers or
closes.
Printed per server: its peak RSS before and after (VmHWM, /proc), what the clients sent, and the
answer they got. `flood()` is what `tests/auth/test_hostile_http.py` drives.
"""

from __future__ import annotations

import argparse
import select
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

__all__ = ["Flood", "flood", "peak_rss_kb", "start_server"]

ROOT = Path(__file__).resolve().parent.parent
LINE = b"X-Pad: " + b"a" * 1016 + b"\r\n"  # 1 KiB a line
CHUNK = LINE * 64


class Flood:
    def __init__(self) -> None:
        self.sent: list[int] = []
        self.answers: list[bytes] = []
        self.lock = threading.Lock()


def _one(port: int, limit: int, result: Flood) -> None:
    sent = 0
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        try:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            while sent < limit:
                sock.sendall(CHUNK)
                sent += len(CHUNK)
                if select.select([sock], [], [], 0)[0]:
                    break  # the server answered (or closed): stop
            sock.sendall(b"\r\n")
        except OSError:
            pass  # the server closed: stop
        try:
            answer = sock.recv(200)
        except OSError:
            answer = b""
    with result.lock:
        result.sent.append(sent)
        result.answers.append(answer.split(b"\r\n", 1)[0])


def flood(port: int, connections: int, mib: int) -> Flood:
    """`connections` clients at once, each up to `mib` MiB of headers; returns when all stop."""
    result = Flood()
    threads = [
        threading.Thread(target=_one, args=(port, mib * 1024 * 1024, result))
        for _ in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result


def peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def start_server(port: int, *, stock: bool) -> subprocess.Popen[bytes]:
    """A server of a tiny app (200 "ok") on `port`, returned once it accepts connections."""
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.header_flood", "serve", "--port", str(port)]
        + (["--stock"] if stock else []),
        cwd=ROOT,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if sock.recv(100).startswith(b"HTTP/1.1 200"):
                    return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("the server did not start")


def _serve(port: int, stock: bool) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from liveui import uvicorn_options

    async def ok(request: object) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/", ok)])
    options = {"http": "httptools"} if stock else uvicorn_options()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", **options)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", nargs="?", default="run", choices=["run", "serve"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--stock", action="store_true")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--mib", type=int, default=128)
    args = parser.parse_args()
    if args.mode == "serve":
        _serve(args.port, args.stock)
        return
    print(f"{args.connections} connections, up to {args.mib} MiB of headers each")
    for name, stock in (("uvicorn httptools (stock)", True), ("liveui UvicornHttpProtocol", False)):
        port = _free_port()
        server = start_server(port, stock=stock)
        try:
            before = peak_rss_kb(server.pid)
            started = time.monotonic()
            result = flood(port, args.connections, args.mib)
            took = time.monotonic() - started
            after = peak_rss_kb(server.pid)
        finally:
            server.terminate()
            server.wait(10)
        answers = sorted({a.decode(errors="replace") or "(closed)" for a in result.answers})
        print(
            f"{name:28} peak RSS {before / 1024:7.1f} -> {after / 1024:7.1f} MB"
            f" (+{(after - before) / 1024:.1f})  sent {sum(result.sent) / 2**20:7.1f} MiB"
            f" in {took:.1f} s  answer: {', '.join(answers)}"
        )


if __name__ == "__main__":
    main()
