"""One public door: `liveui` exports what applications use, `liveui.testing` what their tests
use; the subpackages export nothing. Adding or removing a name is a deliberate change (and a
CHANGELOG entry)."""

from __future__ import annotations

import importlib
import pkgutil

import liveui
import liveui.testing

EXPECTED = {
    # runtime and pub/sub
    "Node", "Backend", "BackendUnavailable", "Broadcast", "backend_from_url", "CloseCode",
    "UvicornWebSocketProtocol", "UvicornHttpProtocol", "HttpLimits",
    # what a node reports about itself (docs/observability.md)
    "metrics_app", "node_collector", "read_node", "Reading", "dev_panel_routes",
    # channels
    "Channel", "ChannelSettings", "ChannelSocket", "ConnectInfo", "Endpoint", "Reply", "Socket",
    "SocketInfo", "Stop", "UserChannel", "channel", "error", "ok", "reply", "stop", "Presence",
    # dispatch
    "Dispatch", "DispatchSettings", "ash_counter_broadcast", "async_url", "collection",
    "counter", "default_serializer", "aggregate",
    "notification_model", "NotificationField", "notification_fields",
    # the user:<id> wire contract
    "user_topic",
    # live UI and templates
    "LiveBadge", "LiveChart", "LiveCollection", "LiveComponent", "LiveContext", "LiveSettings",
    "LiveUI", "LiveMetric", "LiveStreams",
    "NotificationDropdown", "install_templates", "static_dir", "templates_dir",
    # view params: what a person may change of a component's view (docs/view-params.md)
    "ViewParam", "choice", "pages", "search", "sort",
    # live forms and uploads (docs/forms.md)
    "Form", "TextField", "FileField", "FieldErrors", "Validation", "UploadedFile", "receive_form",
    # logins, revocation and serving safely
    "AuthClaims", "Revocation", "Revocations", "RevocationStore", "MemoryRevocationStore",
    "SqlRevocationStore", "TokenRevoked", "uvicorn_options", "RequestSizeLimit", "check_secret",
    # tokens and errors
    "sign_token", "verify_token", "LiveuiError", "ConfigurationError", "Forbidden", "NotFound",
    "TokenError", "TokenExpired", "TokenInvalid", "TokenMissing", "LiveError", "SpecError",
    "EventRejected",
    "__version__",
}

EXPECTED_TESTING = {
    "ANY", "CHROMIUM_ARGS", "BroadcastRecorder", "ChannelClient", "ConnectRefused",
    "JoinRefused", "LiveHarness", "LiveServer", "LiveTab", "Patch", "PatchElement",
    "ReceivedFrame", "RecordedBroadcast", "SocketClient", "chromium_executable", "connect",
    "free_port", "live_harness", "serve", "ServerProcess",
    # driving components and live forms as a page would
    "ClientEvent", "EventResult", "FormResult", "FormSender",
}


def test_exported_names_are_pinned() -> None:
    assert set(liveui.__all__) == EXPECTED
    assert len(liveui.__all__) == len(set(liveui.__all__))
    assert set(liveui.testing.__all__) == EXPECTED_TESTING


def test_every_exported_name_is_defined_in_liveui() -> None:
    for name in liveui.__all__:
        value = getattr(liveui, name)
        if name != "__version__":
            assert getattr(value, "__module__", "liveui").startswith("liveui"), name
    for name in liveui.testing.__all__:
        assert hasattr(liveui.testing, name), name


def test_subpackages_are_implementation_only() -> None:
    """No second door: the layer packages re-export nothing."""
    for package in ("channels", "dispatch", "live", "pubsub", "codegen"):
        module = importlib.import_module(f"liveui.{package}")
        public = [n for n in vars(module) if not n.startswith("_")
                  and not isinstance(vars(module)[n], type(importlib))]
        assert public == [], f"liveui.{package} exports {public}"


def test_every_module_imports() -> None:
    for info in pkgutil.walk_packages(liveui.__path__, "liveui."):
        if info.name.endswith((".redis", ".postgres")):
            continue  # optional drivers; covered by the backend contract suite
        importlib.import_module(info.name)
