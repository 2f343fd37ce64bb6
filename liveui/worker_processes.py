"""Several worker processes with a pub/sub that only reaches one process: caught at start-up.

`uvicorn --workers 4`, `gunicorn -w 4` (and `$WEB_CONCURRENCY`, which both read) run the app in
several processes. With the in-memory pub/sub each process only hears its own broadcasts: a
tab served by another worker stays stale until anti-entropy repairs it a minute later, and a
secret made per process (`secrets.token_urlsafe()` at import) makes every other worker refuse
the page's live token. A worker cannot ask its supervisor how many siblings it has, but the
command line it was started with says so: uvicorn's and gunicorn's workers inherit it (a
spawned child gets its parent's `sys.argv`, a forked one keeps it).
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["SEVERAL_WORKERS", "worker_processes"]

SEVERAL_WORKERS = (
    "liveui: this server runs {workers} worker processes, but the pub/sub is in-memory "
    "(memory://), which reaches one process only: a tab served by another worker misses every "
    "update until anti-entropy repairs it, and a secret made per process gets its live token "
    "refused there. Fix: give every worker the same pub/sub (LIVEUI_PUBSUB_URL=redis://host:6379/0 "
    "or postgresql://..., or Node(pubsub_url=...)) and the same secret key (read it from the "
    "environment, never generate it at import); or run one worker (docs/deployment.md)."
)
"""Logged by `Node.start` when several workers share nothing."""

_SERVERS = ("uvicorn", "gunicorn", "hypercorn")
_SHORT_FLAG = ("gunicorn", "hypercorn")  # `-w N`; uvicorn has no short form
_READS_WEB_CONCURRENCY = ("uvicorn", "gunicorn")


def _server(program: str) -> str | None:
    path = Path(program)
    name = path.parent.name if path.name == "__main__.py" else path.name  # python -m uvicorn
    return name if name in _SERVERS else None


def _flag_value(argv: Sequence[str], server: str) -> str | None:
    short = server in _SHORT_FLAG
    for index, arg in enumerate(argv):
        if arg == "--workers" or (short and arg == "-w"):
            return argv[index + 1] if index + 1 < len(argv) else None
        if arg.startswith("--workers="):
            return arg.split("=", 1)[1]
        if short and arg.startswith("-w") and arg[2:].isdigit():
            return arg[2:]
    return None


def worker_processes(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> int | None:
    """How many worker processes the ASGI server running this process was told to start, when
    its command line (`--workers N`, `-w N`), `$GUNICORN_CMD_ARGS` or `$WEB_CONCURRENCY` says
    (a gunicorn config file's `workers` is not seen); None when this is not
    a uvicorn, gunicorn or hypercorn command line, or it does not say."""
    argv = sys.argv if argv is None else argv
    environ = os.environ if environ is None else environ
    if not argv:
        return None
    server = _server(argv[0])
    if server is None:
        return None
    if server == "uvicorn" and "--reload" in argv:
        return 1  # uvicorn's reloader runs one worker whatever --workers says
    value = _flag_value(argv[1:], server)
    if value is None and server == "gunicorn":  # gunicorn's options from the environment
        try:
            value = _flag_value(shlex.split(environ.get("GUNICORN_CMD_ARGS", "")), server)
        except ValueError:  # unbalanced quotes: gunicorn itself would refuse to start
            value = None
    if value is None and server in _READS_WEB_CONCURRENCY:
        value = environ.get("WEB_CONCURRENCY")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
