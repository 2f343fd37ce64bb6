"""Shared fixtures: real services with CI-aware skipping, and a Chromium for Playwright.

Locally a missing PostgreSQL, Redis or Chromium skips with a message saying what is missing;
with CI=true it fails instead, so CI can never pass by skipping what it is meant to prove.
"""

from __future__ import annotations

import os
import shutil
import socket
from urllib.parse import urlsplit

import pytest

from liveui.testing import CHROMIUM_ARGS
from tests.support.availability import IN_CI, ROOT, unavailable

pytest_plugins = ["tests.support.dispatch_schema", "tests.support.redis_server"]


DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"



def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 2
        ):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("LIVEUI_TEST_POSTGRES_URL") or (DEFAULT_POSTGRES_URL if IN_CI else "")
    if not url:
        url = DEFAULT_POSTGRES_URL
    if not _reachable(url, 5432):
        unavailable(f"PostgreSQL is not reachable at {url} (set LIVEUI_TEST_POSTGRES_URL)")
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("LIVEUI_TEST_REDIS_URL") or DEFAULT_REDIS_URL
    if not _reachable(url, 6379):
        unavailable(f"Redis is not reachable at {url} (set LIVEUI_TEST_REDIS_URL)")
    return url


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        unavailable("Debian's chromium is not installed (make test installs it)")
        raise AssertionError("unreachable")
    return path


@pytest.fixture(scope="session")
def node_path() -> str:
    path = shutil.which("node")
    if path is None or not (ROOT / "node_modules" / "phoenix").is_dir():
        unavailable("node and node_modules/phoenix are needed (make setup installs them)")
        raise AssertionError("unreachable")
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict, chromium_path: str) -> dict:
    """pytest-playwright: launch Debian's Chromium, never a downloaded browser."""
    return {**browser_type_launch_args, "executable_path": chromium_path, "args": CHROMIUM_ARGS}


# The demo's Content-Security-Policy forbids eval, which Playwright's wait_for_function polls
# with; tests that drive the demo through it bypass the CSP. tests/e2e/test_logout.py runs the
# demo under its real CSP (and fails on any violation).
BYPASS_CSP = {"bypass_csp": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, **BYPASS_CSP}


BROWSER_FIXTURES = frozenset({"page", "context", "browser", "browser_type", "playwright"})


def _uses_a_browser(item: pytest.Item) -> bool:
    return (
        "/e2e/" in item.nodeid.replace("\\", "/")
        or item.get_closest_marker("e2e") is not None
        or bool(BROWSER_FIXTURES.intersection(getattr(item, "fixturenames", ())))
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in the main thread
    for the rest of the session, which asyncio tests collected after it could not use. Tests
    that drive Playwright without its fixtures must live in tests/e2e/ or be marked `e2e`."""
    items.sort(key=_uses_a_browser)
