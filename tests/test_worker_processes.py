"""Several worker processes with the in-memory pub/sub are caught at start-up: each worker of
a real `uvicorn --workers 2` (and of hypercorn's) logs the warning with the fix; one worker, a
shared pub/sub, or uvicorn's reloader stay quiet."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from liveui import Node
from liveui.testing import free_port
from liveui.testing.process import ServerProcess
from liveui.worker_processes import worker_processes
from tests.support.waiting import block_until

ROOT = Path(__file__).resolve().parent.parent

node = Node()
app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("ok"))],
                lifespan=node.lifespan)
"""Served by the subprocess test: `uvicorn tests.test_worker_processes:app --workers 2`."""


@pytest.mark.parametrize(
    ("argv", "environ", "expected"),
    [
        (["/venv/bin/uvicorn", "app:app", "--workers", "4"], {}, 4),
        (["/venv/bin/uvicorn", "app:app", "--workers=3"], {}, 3),
        (["/usr/lib/python3/uvicorn/__main__.py", "app:app", "--workers", "2"], {}, 2),
        (["/venv/bin/uvicorn", "app:app"], {"WEB_CONCURRENCY": "5"}, 5),
        (["/venv/bin/uvicorn", "app:app", "--workers", "4", "--reload"], {}, 1),
        (["/venv/bin/uvicorn", "app:app"], {}, None),
        (["/venv/bin/gunicorn", "-w", "3", "-k", "uvicorn.workers.UvicornWorker", "a:b"], {}, 3),
        (["/venv/bin/gunicorn", "-w4", "a:b"], {}, 4),
        (["/venv/bin/gunicorn", "a:b"], {"WEB_CONCURRENCY": "2"}, 2),
        (["/venv/bin/gunicorn", "a:b"], {"GUNICORN_CMD_ARGS": "--bind :80 --workers=6",
                                         "WEB_CONCURRENCY": "2"}, 6),
        (["/venv/bin/hypercorn", "--workers", "2", "a:b"], {}, 2),
        (["/venv/bin/hypercorn", "a:b"], {"WEB_CONCURRENCY": "2"}, None),
        (["/venv/bin/pytest", "-w", "2", "--workers", "2"], {"WEB_CONCURRENCY": "2"}, None),
        (["/venv/bin/uvicorn", "app:app", "--workers", "many"], {}, None),
    ],
)
def test_the_worker_count_comes_from_the_servers_command_line(
    argv: list[str], environ: dict[str, str], expected: int | None
) -> None:
    assert worker_processes(argv, environ) == expected


def _uvicorn(tmp_path: Path, *extra: str, env: dict[str, str] | None = None,
             server: str = "uvicorn") -> ServerProcess:
    port = free_port()
    where = (["--host", "127.0.0.1", "--port", str(port)] if server == "uvicorn"
             else ["--bind", f"127.0.0.1:{port}"])
    return ServerProcess(
        [sys.executable, "-m", server, "tests.test_worker_processes:app", *where, *extra],
        url=f"http://127.0.0.1:{port}", log_path=tmp_path / "server.log", cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **(env or {})},
    )


@pytest.mark.parametrize("program", ["uvicorn", "hypercorn"])
def test_workers_with_memory_pubsub_warn_with_the_fix(tmp_path: Path, program: str) -> None:
    server = _uvicorn(tmp_path, "--workers", "2", server=program)
    server.start()
    try:
        # Each worker starts its own node: both say it (wait for the second one's lifespan).
        log = block_until(
            lambda: (text := server.log()).count("runs 2 worker processes") == 2 and text,
            timeout=30, what="both workers' warnings",
        )
    finally:
        server.stop()
    assert "LIVEUI_PUBSUB_URL=redis://" in log and "same secret key" in log


def test_uvicorn_workers_with_a_shared_pubsub_do_not_warn(tmp_path: Path, redis_url: str) -> None:
    server = _uvicorn(tmp_path, "--workers", "2", env={"LIVEUI_PUBSUB_URL": redis_url})
    server.start()
    try:
        # Both workers up: each logs "Application startup complete." after its lifespan ran.
        block_until(lambda: server.log().count("Application startup complete") == 2,
                    timeout=30, what="both workers started")
    finally:
        server.stop()
    assert "worker processes" not in server.log()
