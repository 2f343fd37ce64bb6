from __future__ import annotations

import sys

import pytest

from liveui import backend_from_url
from liveui.pubsub.backends.memory import MemoryBackend


def test_memory_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIVEUI_PUBSUB_URL", raising=False)
    assert isinstance(backend_from_url(None), MemoryBackend)
    assert isinstance(backend_from_url("memory://"), MemoryBackend)


def test_the_environment_selects_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    from liveui.pubsub.backends.postgres import PostgresBackend
    from liveui.pubsub.backends.redis import RedisBackend

    monkeypatch.setenv("LIVEUI_PUBSUB_URL", "redis://127.0.0.1:6379/0")
    assert isinstance(backend_from_url(), RedisBackend)
    monkeypatch.setenv("LIVEUI_PUBSUB_URL", "postgresql+asyncpg://postgres@127.0.0.1/test")
    backend = backend_from_url()
    assert isinstance(backend, PostgresBackend)
    assert backend.url == "postgresql://postgres@127.0.0.1/test"


def test_an_unknown_scheme_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"memory://, redis://"):
        backend_from_url("kafka://broker:9092")


@pytest.mark.parametrize(
    ("url", "modules", "extra"),
    [
        ("redis://127.0.0.1:6379/0", ["redis", "redis.asyncio"], "liveui[redis]"),
        ("postgresql://postgres@127.0.0.1/test", ["asyncpg"], "liveui[postgres]"),
    ],
)
def test_a_missing_driver_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, url: str, modules: list[str], extra: str
) -> None:
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)  # what an uninstalled package looks like
    with pytest.raises(ImportError, match=extra.replace("[", r"\[").replace("]", r"\]")):
        backend_from_url(url)


def test_a_bad_table_name_is_refused() -> None:
    from liveui.pubsub.backends.postgres import PostgresBackend

    with pytest.raises(ValueError, match="identifier"):
        PostgresBackend("postgresql://postgres@127.0.0.1/test", table="x; DROP TABLE users")
