"""Settings: env overrides, "module:function" strings, clear errors."""

from __future__ import annotations

from typing import Any

import pytest

from liveui import ConfigurationError, Dispatch, DispatchSettings, async_url

received: list[tuple[str, str, Any]] = []


def broadcast(topic: str, event: str, payload: Any) -> None:
    received.append((topic, event, payload))


def test_env_overrides() -> None:
    base = DispatchSettings()
    env = {
        "LIVEUI_COUNTER_BROADCAST_FN": f"{__name__}:broadcast",
        "LIVEUI_DISPATCH_WINDOW_MS": "50",
        "LIVEUI_DISPATCH_MODELS": "myapp.orders, myapp.tickets",
    }
    settings = base.with_env(env)
    assert settings.coalesce_window == pytest.approx(0.05)
    assert list(settings.models) == ["myapp.orders", "myapp.tickets"]
    assert base.with_env({}) is base
    with pytest.raises(ConfigurationError, match="LIVEUI_DISPATCH_WINDOW_MS"):
        base.with_env({"LIVEUI_DISPATCH_WINDOW_MS": "soon"})


def test_broadcast_function_from_a_string() -> None:
    dispatch = Dispatch(DispatchSettings(counter_broadcast_fn=f"{__name__}:broadcast"))
    dispatch.broadcaster("user:1", "counter_updated", {"value": 1})
    assert received[-1] == ("user:1", "counter_updated", {"value": 1})
    with pytest.raises(ConfigurationError, match="no_such_module"):
        Dispatch(DispatchSettings(counter_broadcast_fn="no_such_module:fn"))


def test_misconfiguration_names_the_setting() -> None:
    with pytest.raises(ConfigurationError, match="coalesce_window"):
        DispatchSettings(coalesce_window=-1)
    with pytest.raises(ConfigurationError, match="models"):
        Dispatch(DispatchSettings(models=[42])).registry.counters  # noqa: B018
    with pytest.raises(ConfigurationError, match="no_such_models"):
        Dispatch(DispatchSettings(models=["no_such_models"])).registry.counters  # noqa: B018
    with pytest.raises(ConfigurationError, match="notification_model"):
        Dispatch(DispatchSettings()).notifications.model  # noqa: B018


def test_async_url() -> None:
    assert async_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert async_url("postgresql://u:p@h:5432/db") == "postgresql+asyncpg://u:p@h:5432/db"
    assert async_url("postgres://h/db") == "postgresql+asyncpg://h/db"
    assert async_url("sqlite+aiosqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    with pytest.raises(ValueError, match="oracle"):
        async_url("oracle://h/db")
