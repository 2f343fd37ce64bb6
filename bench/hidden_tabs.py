"""Hidden-tab pause: the server CPU a node saves when most of its live sessions are paused.

    python -m bench.hidden_tabs [--transport sse|ws] [--sessions N] [--hidden 0.8] [--waves M]

The server is `bench.live_sessions`' (uvicorn pinned to CPU 0, a LiveUI with a real Dispatch on
SQLite, N tabs of the demo page: four badges, the notification dropdown and its bell badge,
spread over N/10 users); this process and its N connections are pinned to CPU 1.

The same stream is measured twice on the same N sessions: M waves, each one `counter_updated`
broadcast with a higher version to every user's topic (N/10 broadcasts, one per user), the next
wave sent when every visible tab received its patch. First with every tab visible, then after
the `--hidden` share of the tabs (the same share of each user's tabs) asked the server to
pause, the way liveui.js does when a tab stays hidden (`POST /liveui/pause`, or a WebSocket
frame). Then every paused tab resumes and must receive the latest value (one patch each).

Prints, last line:
    visible_cpu_ms_per_wave=<a> paused_cpu_ms_per_wave=<b> saved_pct=<c>
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from typing import Any
from urllib.parse import quote

from bench.live_sessions import SECRET, Stats, open_sse, open_ws, page_query, wait_for
from bench.measure import cpu_seconds, run_clients, start_pinned_server, stop_pinned_server


async def run(args: argparse.Namespace) -> None:
    import httpx

    from liveui.live.session_token import make_token
    from liveui.testing import free_port

    users = max(1, args.sessions // 10)
    port = free_port()
    server = start_pinned_server([sys.executable, "-m", "bench.live_sessions", "--serve",
                                  str(port), "--transport", args.transport])
    stats = Stats()
    conns: list[Any] = []
    http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120)
    try:
        for _ in range(400):
            if server.poll() is not None:
                raise SystemExit("bench: the server did not start")
            with contextlib.suppress(httpx.TransportError):
                await http.get("/health")
                break
            await asyncio.sleep(0.05)
        (await http.post("/setup", params={"users": users})).raise_for_status()
        specs = page_query()
        ws = args.transport == "ws"
        opener, endpoint = (open_ws, "/liveui/ws") if ws else (open_sse, "/liveui/sse")
        tokens = [make_token(SECRET, 1 + i % users)[1] for i in range(args.sessions)]
        gate = asyncio.Semaphore(100)

        async def one(token: str) -> Any:
            async with gate:
                return await opener(port, f"{endpoint}?token={quote(token)}&c={specs}", stats)

        conns = await asyncio.gather(*(one(token) for token in tokens))
        await wait_for(lambda: stats.ready >= args.sessions, stats, 120, "every first event")
        # The same share of every user's tabs is hidden (user = 1 + i % users).
        hidden = [i for i in range(args.sessions)
                  if (i // users) % 10 < round(args.hidden * 10)]
        version = 0

        async def wave(receivers: int) -> None:
            nonlocal version
            version += 1
            expected = stats.patches + receivers
            answer = await http.post("/broadcast", params={"users": users, "value": version})
            stats.sent_at[version] = answer.json()["t"]
            await wait_for(lambda: stats.patches >= expected, stats, 60,
                           f"{expected - stats.patches} patches of wave {version}")

        async def measure(receivers: int) -> float:
            """Server CPU seconds per wave over `args.waves` waves."""
            for _ in range(2):  # warm-up: render cache and send paths hot
                await wave(receivers)
            cpu0 = cpu_seconds(server.pid)
            for _ in range(args.waves):
                await wave(receivers)
            return (cpu_seconds(server.pid) - cpu0) / args.waves

        async def tell(i: int, kind: str) -> None:
            if ws:
                await conns[i][0].send(f'{{"liveui": "{kind}"}}')
                return
            async with gate:
                answer = await http.post(f"/liveui/{kind}", headers={"X-LiveUI-Token": tokens[i]})
            answer.raise_for_status()

        async def paused_on_server(count: int) -> None:
            deadline = time.monotonic() + 60
            while (await http.get("/health")).json()["paused"] != count:
                if time.monotonic() > deadline:
                    raise SystemExit(f"bench: the server never reported {count} paused")
                await asyncio.sleep(0.05)

        visible_cpu = await measure(args.sessions)
        await asyncio.gather(*(tell(i, "pause") for i in hidden))
        await paused_on_server(len(hidden))
        paused_cpu = await measure(args.sessions - len(hidden))

        # Resume: every paused tab gets exactly one patch, with the latest value.
        before, cpu0 = len(stats.arrivals), cpu_seconds(server.pid)
        await asyncio.gather(*(tell(i, "resume") for i in hidden))
        await wait_for(lambda: len(stats.arrivals) >= before + len(hidden), stats, 60,
                       "the resumed tabs' patches")
        resume_cpu = cpu_seconds(server.pid) - cpu0
        await paused_on_server(0)
        stale = [value for value, _ in stats.arrivals[before:] if value != version]
        if stale:
            raise SystemExit(f"bench: {len(stale)} resumed tab(s) got a stale value")

        saved = 1 - paused_cpu / visible_cpu if visible_cpu else 0.0  # tiny runs: no tick
        broadcasts = users  # one per user topic per wave
        print(f"transport={args.transport} sessions={args.sessions} users={users} "
              f"hidden={len(hidden)} waves={args.waves} broadcasts_per_wave={broadcasts}")
        print(f"visible_cpu_us_per_broadcast={visible_cpu / broadcasts * 1e6:.0f} "
              f"paused_cpu_us_per_broadcast={paused_cpu / broadcasts * 1e6:.0f} "
              f"resume_cpu_ms_per_tab={resume_cpu * 1000 / max(1, len(hidden)):.2f}")
        print(f"visible_cpu_ms_per_wave={visible_cpu * 1000:.1f} "
              f"paused_cpu_ms_per_wave={paused_cpu * 1000:.1f} saved_pct={saved * 100:.0f}")
    finally:
        await http.aclose()
        for conn in conns:
            if isinstance(conn, tuple):
                conn[1].cancel()
                conn[0].transport.abort()
            else:
                conn.abort()
        await asyncio.sleep(0.5)  # the server sees the disconnects before it is stopped
        stop_pinned_server(server)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transport", choices=["sse", "ws"], default="sse")
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--hidden", type=float, default=0.8,
                        help="share of each user's tabs that are hidden and paused")
    parser.add_argument("--waves", type=int, default=30, help="waves measured per phase")
    args = parser.parse_args(argv)
    run_clients(run(args))


if __name__ == "__main__":
    main()
