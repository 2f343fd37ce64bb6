"""Fixtures of the compatibility suite: one real uvicorn server, one Node process per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from liveui.testing import LiveServer, serve

from .app import CompatApp
from .bridge import PhoenixClient


@dataclass
class Compat:
    app: CompatApp
    server: LiveServer

    def url(self, mount: str = "/socket") -> str:
        """What phoenix.js's `new Socket(url)` takes: it appends `/websocket?...&vsn=2.0.0`."""
        return f"{self.server.ws_url}{mount}"


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
