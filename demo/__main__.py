"""`python -m demo [--port N]` serves the demo; `token <username> [--json]` prints a socket token;
`simulate [--interval S] [--url URL]` makes other users busy on a running demo until Ctrl-C."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

__all__ = ["main"]


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from liveui import UvicornWebSocketProtocol

    from .app import create_app

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
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
        ws=UvicornWebSocketProtocol,
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=2,
    )
    return 0


def _token(args: argparse.Namespace) -> int:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from .config import DemoConfig
    from .db import make_sync_engine
    from .models import User
    from .sockets import socket_token

    logging.basicConfig(level=logging.ERROR)  # stdout carries the token and nothing else
    config = DemoConfig.from_env()
    engine = make_sync_engine(config.database_url)
    try:
        with Session(engine) as session:
            user = session.scalar(select(User).where(User.username == args.username))
    except Exception as exc:
        print(f"cannot read users from {config.database_url}: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    if user is None:
        print(f"no user {args.username!r} (start the demo once to seed users)", file=sys.stderr)
        return 1
    token = socket_token(config.secret_key, user.id)
    print(json.dumps({"token": token, "user_id": str(user.id)}) if args.json else token)
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
