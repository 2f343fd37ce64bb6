"""liveui: LiveView-style real-time, server-rendered UI for Starlette.

Everything an application uses is exported here, and only here (`liveui.testing` holds the test
helpers); the subpackages are the implementation, laid out as the data flows:

    dispatch (commit -> recount -> broadcast) -> pubsub (hub, backends) -> channels | live

See the README for a quick start and docs/ for one page per concept.
"""

from .auth.claims import AuthClaims
from .auth.revocations import Revocation, Revocations
from .auth.store import MemoryRevocationStore, RevocationStore, SqlRevocationStore
from .channels.channel import Channel
from .channels.channel_socket import ChannelSocket
from .channels.endpoint import Endpoint
from .channels.message import Reply, Stop, error, ok, reply, stop
from .channels.presence import Presence
from .channels.settings import ChannelSettings
from .channels.socket import ConnectInfo, Socket, SocketInfo, channel
from .channels.user_channel import UserChannel
from .close_codes import CloseCode
from .codegen.notification_shape import NotificationField, notification_fields
from .devpanel.page import dev_panel_routes
from .dispatch.broadcaster import ash_counter_broadcast
from .dispatch.collection_declaration import collection
from .dispatch.counter_declaration import counter
from .dispatch.dispatch import Dispatch
from .dispatch.notification_table import default_serializer, notification_model
from .dispatch.settings import DispatchSettings
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
from .live.app import LiveUI
from .live.badge import LiveBadge
from .live.chart import LiveChart
from .live.collection import LiveCollection
from .live.component import LiveComponent
from .live.context import LiveContext
from .live.dropdown import NotificationDropdown
from .live.form import FieldErrors, FileField, Form, TextField, Validation
from .live.paths import static_dir, templates_dir
from .live.settings import LiveSettings
from .live.tags import install_templates
from .live.uploads import UploadedFile, receive_form
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
from .uvicorn_http import UvicornHttpProtocol
from .uvicorn_protocol import UvicornWebSocketProtocol

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
    "LiveBadge",
    "LiveChart",
    "LiveCollection",
    "LiveComponent",
    "LiveContext",
    "LiveError",
    "LiveSettings",
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
    "__version__",
    "ash_counter_broadcast",
    "async_url",
    "backend_from_url",
    "channel",
    "check_secret",
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
    "read_node",
    "receive_form",
    "reply",
    "sign_token",
    "static_dir",
    "stop",
    "templates_dir",
    "user_topic",
    "uvicorn_options",
    "verify_token",
]
