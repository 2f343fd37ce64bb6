"""`python -m demo [--port N]` serves the demo; `token <username> [--json]` prints a socket token;
`simulate [--interval S] [--url URL]` makes other users busy on a running demo until Ctrl-C."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

__all__ = ["main"]


def _serve(args: argparse.Namespace) -> int:
    import gc

    import uvicorn

    from liveui import uvicorn_options

    from .app import create_app

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # Full collections less often: a node of many connections walks them all in each one
    # (docs/deployment.md, "The garbage collector").
    gc.set_threshold(700, 10, 100)
    print(
        f"liveui demo on http://{args.host}:{args.port}"
        "  (log in as alice, bob, carol or admin; password: demo)",
        flush=True,
    )
    uvicorn.run(
        create_app(),
        host=args.host,
        port=args.port,
        log_level="warning",
        timeout_graceful_shutdown=2,
        # requests bounded while read, the WebSocket protocol that answers bad upgrades, frames
        # bounded while read, no compression (liveui.uvicorn_options; the live WS message
        # limit is far below 1 MiB); X-Forwarded-For believed only from the proxies named
        **uvicorn_options(forwarded_allow_ips=args.forwarded_allow_ips),
    )
    return 0


def _token(args: argparse.Namespace) -> int:
    """A socket token bound to a login of its own (no browser's): it lasts until it expires or
    an admin logs the user out everywhere (`revoke_user`), which moves the user's epoch on."""
    import asyncio

    from sqlalchemy import select

    from liveui import Revocations, SqlRevocationStore

    from .config import DemoConfig
    from .db import make_async_engine
    from .models import User
    from .sockets import socket_token

    logging.basicConfig(level=logging.ERROR)  # stdout carries the token and nothing else
    config = DemoConfig.from_env()

    async def mint() -> tuple[str, str] | None:
        engine = make_async_engine(config.database_url)
        try:
            async with engine.connect() as conn:
                user_id = await conn.scalar(select(User.id).where(User.username == args.username))
            if user_id is None:
                return None
            revocations = Revocations(SqlRevocationStore(engine))
            await revocations.reload()  # the user's current epoch
            login = revocations.login(user_id)
            return socket_token(config.secret_key, login), str(user_id)
        finally:
            await engine.dispose()

    try:
        minted = asyncio.run(mint())
    except Exception as exc:
        print(f"cannot read users from {config.database_url}: {exc}", file=sys.stderr)
        return 2
    if minted is None:
        print(f"no user {args.username!r} (start the demo once to seed users)", file=sys.stderr)
        return 1
    token, user_id = minted
    print(json.dumps({"token": token, "user_id": user_id}) if args.json else token)
    return 0


def _simulate(args: argparse.Namespace) -> int:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    base = args.url.rstrip("/")

    def post(path: str, data: dict[str, str]) -> str:
        body = urllib.parse.urlencode(data).encode()
        with opener.open(base + path, body, timeout=10) as response:
            return str(response.read().decode())

    def csrf_of(path: str) -> str | None:
        with opener.open(base + path, timeout=10) as response:
            page = response.read().decode()
        marker = 'name="csrf_token" value="'
        return page.split(marker, 1)[1].split('"', 1)[0] if marker in page else None

    login_csrf = csrf_of("/login") or ""
    post("/login", {"username": "admin", "password": "demo", "csrf_token": login_csrf})
    csrf = csrf_of("/admin")
    if csrf is None:
        print("could not log in as admin on " + base, file=sys.stderr)
        return 1
    post("/admin/simulate", {"csrf_token": csrf, "enabled": "1", "interval": str(args.interval)})
    print(f"simulating activity on {base} every ~{args.interval}s; Ctrl-C to stop", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        post("/admin/simulate", {"csrf_token": csrf, "enabled": "0"})
        print("stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--forwarded-allow-ips", default=os.environ.get("LIVEUI_FORWARDED_ALLOW_IPS") or None,
        help="addresses of the proxies whose X-Forwarded-For/-Proto to believe (comma-separated,"
        " '*' for any; default: $LIVEUI_FORWARDED_ALLOW_IPS, else none)",
    )
    sub = parser.add_subparsers(dest="command")
    token = sub.add_parser("token", help="print a socket token for a demo user")
    token.add_argument("username")
    token.add_argument("--json", action="store_true", help='print {"token": ..., "user_id": ...}')
    simulate = sub.add_parser("simulate", help="create activity from other users on a running demo")
    simulate.add_argument("--interval", type=float, default=2.0)
    simulate.add_argument("--url", default="http://127.0.0.1:8000")
    args = parser.parse_args(argv)
    if args.command == "token":
        return _token(args)
    if args.command == "simulate":
        return _simulate(args)
    return _serve(args)


if __name__ == "__main__":
    sys.exit(main())
