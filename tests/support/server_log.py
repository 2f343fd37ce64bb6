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
def server_log(caplog: pytest.LogCaptureFixture, *, access: bool = False) -> Iterator[None]:
    """`access`: uvicorn's access log too (its records stop at `uvicorn.access`)."""
    loggers = [logging.getLogger("uvicorn")]
    if access:
        loggers.append(logging.getLogger("uvicorn.access"))
    for logger in loggers:
        logger.addHandler(caplog.handler)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeHandler(caplog.handler)
