"""Live components: server-held state per tab, pushed to the page as htmx DOM patches.

`LiveUI` wires it into a Starlette app; `LiveComponent` is the base of the badge, the dropdown
and your own components; `LiveSession` holds one tab's components and their patch stream.
Transports (SSE by default, WebSocket by one setting) carry the same patches.
"""

from .app import LiveUI
from .badge import LiveBadge
from .component import LiveComponent, component_types
from .connection import LiveConnection
from .context import LiveContext
from .contract import CounterValueLike, DispatchLike
from .dropdown import NotificationDropdown
from .errors import EventRejected, LiveError, SpecError
from .fragment import Fragment
from .page import LivePage
from .paths import static_dir, templates_dir
from .render import Renderer
from .session import LiveSession
from .settings import LiveSettings

__all__ = [
    "CounterValueLike",
    "DispatchLike",
    "EventRejected",
    "Fragment",
    "LiveBadge",
    "LiveComponent",
    "LiveConnection",
    "LiveContext",
    "LiveError",
    "LivePage",
    "LiveSession",
    "LiveSettings",
    "LiveUI",
    "NotificationDropdown",
    "Renderer",
    "SpecError",
    "component_types",
    "static_dir",
    "templates_dir",
]
