"""The demo fixture of the browser tests that drive the real demo (`python -m demo`).

`demo` is one server per module, on a fresh data directory, serving live pages over SSE. A
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
    transport: str = getattr(request, "param", "sse")
    module = request.module.__name__.rsplit(".", 1)[-1]
    with running_demo(tmp_path_factory.mktemp(f"{module}-{transport}"), transport) as server:
        yield server
