"""The demo fixture of the browser tests that drive the real demo (`python -m demo`).

`demo` is one server per module, on a fresh data directory, serving live pages over the demo's
default transport (WebSocket). A
module that runs its tests over both transports parametrises it:

    pytestmark = [pytest.mark.e2e, BOTH_TRANSPORTS]
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.walkthrough_server import DemoServer, running_demo


@pytest.fixture(scope="module")
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
    DemoServer
]:
    transport: str | None = getattr(request, "param", None)
    module = request.module.__name__.rsplit(".", 1)[-1]
    data_dir = tmp_path_factory.mktemp(f"{module}-{transport or 'default'}")
    with running_demo(data_dir, transport) as server:
        yield server
