"""Launching a real Chromium for end-to-end tests, benchmarks and screenshots."""

from __future__ import annotations

import shutil

__all__ = ["CHROMIUM_ARGS", "chromium_executable"]

CHROMIUM_ARGS = [
    "--no-sandbox",  # root in a container
    "--disable-gpu",
    # No calls home: on a machine without outside network they only fail, many at a time.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
"""Flags for headless Chromium in CI containers and sandboxes."""


def chromium_executable() -> str | None:
    """The system's Chromium (Debian's `chromium` package); Playwright's own download is not
    needed."""
    return shutil.which("chromium")
