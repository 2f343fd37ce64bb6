import liveui.dispatch

EXPECTED = {
    "Audience", "ChannelState", "ConfigurationError", "Counter", "CounterInfo", "CounterLoader",
    "CounterSpec", "CounterValue", "Dispatch", "DispatchError", "DispatchSettings", "Forbidden",
    "NOTIFICATION_TYPES", "NotFound", "NotificationLoader", "UNREAD_NOTIFICATIONS",
    "UserChannel", "async_url", "counter", "default_serializer", "describe_counters",
    "notification_model",
}


def test_exported_names() -> None:
    assert set(liveui.dispatch.__all__) == EXPECTED
    for name in EXPECTED:
        assert getattr(liveui.dispatch, name) is not None


def test_counter_value_is_frozen() -> None:
    value = liveui.dispatch.CounterValue(3, 10)
    assert (value.value, value.version) == (3, 10)
    try:
        value.value = 4  # type: ignore[misc]
    except AttributeError:
        return
    raise AssertionError("CounterValue must be frozen")
