"""uvicorn's own log in pytest's `caplog`: uvicorn's logging set-up stops its records at the
`uvicorn` logger (no propagation to the root, where `caplog` listens), so a test that must see
them hangs `caplog`'s handler there too — after the server started, which resets its handlers."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import pytest

__all__ = ["server_log"]


@contextlib.contextmanager
def server_log(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    uvicorn_log = logging.getLogger("uvicorn")
    uvicorn_log.addHandler(caplog.handler)
    try:
        yield
    finally:
        uvicorn_log.removeHandler(caplog.handler)
