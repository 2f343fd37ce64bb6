"""liveui: LiveView-style real-time, server-rendered UI for Starlette.

Everything an application uses is exported here, and only here (`liveui.testing` holds the test
helpers); the subpackages are the implementation, laid out as the data flows:

    dispatch (commit -> recount -> broadcast) -> pubsub (hub, backends) -> channels | live

See the README for a quick start and docs/ for one page per concept.
"""

from typing import TYPE_CHECKING, Any

from .auth.claims import AuthClaims
from .auth.revocations import Revocation, Revocations
from .auth.store import MemoryRevocationStore, RevocationStore, SqlRevocationStore
from .channels.channel import Channel
from .channels.channel_settings import ChannelSettings
from .channels.channel_socket import ChannelSocket
from .channels.endpoint import Endpoint
from .channels.message import Reply, Stop, error, ok, reply, stop
from .channels.presence import Presence
from .channels.socket import ConnectInfo, Socket, SocketInfo, channel
from .channels.user_channel import UserChannel
from .close_codes import CloseCode
from .codegen.notification_shape import NotificationField, notification_fields
from .devpanel.page import dev_panel_routes
from .dispatch.aggregate_declaration import aggregate
from .dispatch.broadcaster import ash_counter_broadcast
from .dispatch.collection_declaration import collection
from .dispatch.counter_declaration import counter
from .dispatch.dispatch import Dispatch
from .dispatch.dispatch_settings import DispatchSettings
from .dispatch.notification_table import default_serializer, notification_model
from .dispatch.urls import async_url
from .errors import (
    ConfigurationError,
    EventRejected,
    Forbidden,
    LiveError,
    LiveuiError,
    NotFound,
    SpecError,
    TokenError,
    TokenExpired,
    TokenInvalid,
    TokenMissing,
    TokenRevoked,
)
from .http_limits import HttpLimits
from .live.app import LiveUI
from .live.badge import LiveBadge
from .live.chart import LiveChart
from .live.collection import LiveCollection
from .live.component import LiveComponent
from .live.context import LiveContext
from .live.dropdown import NotificationDropdown
from .live.form import FieldErrors, FileField, Form, TextField, Validation
from .live.live_settings import LiveSettings
from .live.live_streams import LiveStreams
from .live.metric import LiveMetric
from .live.paths import static_dir, templates_dir
from .live.tags import install_templates
from .live.uploads import UploadedFile, receive_form
from .live.view_params import ViewParam, choice, pages, search, sort
from .metrics.prometheus import metrics_app, node_collector
from .metrics.readings import Reading, read_node
from .middleware import RequestSizeLimit
from .node import Node
from .pubsub.backends.base import Backend, BackendUnavailable
from .pubsub.backends.factory import backend_from_url
from .pubsub.broadcast import Broadcast
from .server import uvicorn_options
from .tokens import check_secret
from .tokens import sign as sign_token
from .tokens import verify as verify_token
from .user_events import user_topic

if TYPE_CHECKING:
    from ._server.http_protocol import UvicornHttpProtocol
    from ._server.websocket_protocol import UvicornWebSocketProtocol

__version__ = "0.1.0"

__all__ = [
    "AuthClaims",
    "Backend",
    "BackendUnavailable",
    "Broadcast",
    "Channel",
    "ChannelSettings",
    "ChannelSocket",
    "CloseCode",
    "ConfigurationError",
    "ConnectInfo",
    "Dispatch",
    "DispatchSettings",
    "Endpoint",
    "EventRejected",
    "FieldErrors",
    "FileField",
    "Forbidden",
    "Form",
    "HttpLimits",
    "LiveBadge",
    "LiveChart",
    "LiveCollection",
    "LiveComponent",
    "LiveContext",
    "LiveError",
    "LiveMetric",
    "LiveSettings",
    "LiveStreams",
    "LiveUI",
    "LiveuiError",
    "MemoryRevocationStore",
    "Node",
    "NotFound",
    "NotificationDropdown",
    "NotificationField",
    "Presence",
    "Reading",
    "Reply",
    "RequestSizeLimit",
    "Revocation",
    "RevocationStore",
    "Revocations",
    "Socket",
    "SocketInfo",
    "SpecError",
    "SqlRevocationStore",
    "Stop",
    "TextField",
    "TokenError",
    "TokenExpired",
    "TokenInvalid",
    "TokenMissing",
    "TokenRevoked",
    "UploadedFile",
    "UserChannel",
    "UvicornHttpProtocol",
    "UvicornWebSocketProtocol",
    "Validation",
    "ViewParam",
    "__version__",
    "aggregate",
    "ash_counter_broadcast",
    "async_url",
    "backend_from_url",
    "channel",
    "check_secret",
    "choice",
    "collection",
    "counter",
    "default_serializer",
    "dev_panel_routes",
    "error",
    "install_templates",
    "metrics_app",
    "node_collector",
    "notification_fields",
    "notification_model",
    "ok",
    "pages",
    "read_node",
    "receive_form",
    "reply",
    "search",
    "sign_token",
    "sort",
    "static_dir",
    "stop",
    "templates_dir",
    "user_topic",
    "uvicorn_options",
    "verify_token",
]


def __getattr__(name: str) -> Any:
    """The uvicorn protocol classes load on first use, so `import liveui` imports none of
    uvicorn's internals (`uvicorn app --http liveui:UvicornHttpProtocol` still finds them).
    Where a reliance of one is missing, uvicorn's stock class is returned (one WARNING)."""
    from ._server.reliances import stock_fallback

    if name == "UvicornHttpProtocol":
        if stock_fallback("http"):
            from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

            return HttpToolsProtocol
        from ._server.http_protocol import UvicornHttpProtocol

        return UvicornHttpProtocol
    if name == "UvicornWebSocketProtocol":
        if stock_fallback("websocket"):
            from uvicorn.protocols.websockets.websockets_sansio_impl import (
                WebSocketsSansIOProtocol,
            )

            return WebSocketsSansIOProtocol
        from ._server.websocket_protocol import UvicornWebSocketProtocol

        return UvicornWebSocketProtocol
    raise AttributeError(f"module 'liveui' has no attribute {name!r}")
