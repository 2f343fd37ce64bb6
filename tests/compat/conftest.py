"""Fixtures of the compatibility suite: one real uvicorn server, one Node process per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from liveui.testing import serve

from .app import Compat, CompatApp
from .bridge import PhoenixClient


@pytest.fixture(scope="session")
def compat_server() -> Iterator[Compat]:
    app = CompatApp()
    with serve(app.app) as server:
        yield Compat(app, server)


@pytest.fixture
def compat(compat_server: Compat) -> Compat:
    return compat_server


@pytest.fixture
def client(node_path: str) -> Iterator[PhoenixClient]:
    phoenix = PhoenixClient(node_path)
    try:
        yield phoenix
    finally:
        phoenix.close()


@pytest.fixture
def uid() -> str:
    """A user id unique to the test, so tests sharing the server never see each other."""
    return uuid.uuid4().hex[:10]
