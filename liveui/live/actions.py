"""User actions: `POST <prefix>/event` (htmx) and JSON messages on the live WebSocket (ws-send).

A POST names either a component event (`event` + the component's `spec`), a change of a
component's view (`event=view`, see `view_change`) or one of the app's live actions (`action`,
see `app_actions`).

CSRF: the POST must carry the live-session token in the `X-LiveUI-Token` header (liveui.js adds
it to htmx requests for the live prefix). Nothing is read from cookies, and a cross-site page can
neither read the token nor make the browser send a custom header without a CORS preflight, which
is never granted. The actor is always the token's user; the component checks ownership.

Checks run cheapest first and before the body is read: the token (403, revoked logins included),
the user's action budget (429 with Retry-After), the declared body size (413); then the form
is parsed with tight limits (400).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ..errors import EventRejected, SpecError
from .app_actions import run_action
from .component import authorized
from .specs import build_component, parse_json
from .view_change import VIEW_EVENT, change_view

if TYPE_CHECKING:
    from .gate import Gate
    from .session_registry import SessionRegistry

__all__ = ["event_endpoint", "run_event"]

log = logging.getLogger("liveui.live")

MAX_FIELDS = 50
MAX_SPEC = 16 * 1024


async def event_endpoint(request: Request, gate: Gate) -> Response:
    token = gate.token_of(request, "action refused")
    if isinstance(token, Response):
        return token
    if not gate.allow_action(token.user_id, time.monotonic()):
        return PlainTextResponse(
            "too many actions; slow down", status_code=429, headers={"Retry-After": "1"}
        )
    limit = gate.settings.max_message_size
    declared = request.headers.get("content-length", "")
    if not declared.isascii() or not declared.isdigit() or int(declared[:12]) > limit:
        # Chunked bodies have no length to check first: browsers always send one.
        return PlainTextResponse("action body too large or without a length", status_code=413)
    try:
        form = await request.form(max_files=0, max_fields=MAX_FIELDS, max_part_size=limit)
    except Exception:
        return PlainTextResponse("unreadable form", status_code=400)
    data = {key: value for key, value in form.items() if isinstance(value, str)}
    if "action" in data:
        return await run_action(
            request, gate.actions, gate.registry.renderer, token.user_id, data
        )
    if data.get("event") == VIEW_EVENT:
        return await change_view(gate.registry, token.user_id, token.session_id, data)
    status, reason = await run_event(gate.registry, token.user_id, token.session_id, data)
    if status == 204:
        return Response(status_code=204)
    return PlainTextResponse(reason, status_code=status)


async def run_event(
    registry: SessionRegistry, user_id: Any, session_id: str, data: Mapping[str, Any]
) -> tuple[int, str]:
    """Run one action; returns the HTTP-style status and a reason for errors."""
    event = data.get("event")
    if not isinstance(event, str) or not event:
        return 400, "an action needs an 'event'"
    raw = data.get("spec")
    if not isinstance(raw, str) or len(raw) > MAX_SPEC:
        return 400, "an action needs a component 'spec'"
    try:
        component, _ = build_component(parse_json(raw))
    except ValueError:
        return 400, "bad component spec: not JSON"
    except SpecError as exc:
        return 400, f"bad component spec: {exc}"
    session = registry.get(session_id)
    if session is not None and session.user_id == user_id:
        session = await registry.own(session_id)  # its state may change for this tab alone
    if session is not None and session.user_id == user_id:
        # Act on this tab's own instance, so its state changes are pushed back at once.
        component = session.components.get(component.id, component)
    else:
        session = None
    ctx = registry.make_context(user_id, session)
    # Not an instance this tab mounted (and so authorized): a spec from the browser, maybe forged.
    mounted = session is not None and component.id in session.components
    if not mounted and not await authorized(component, ctx):
        return 403, f"the component {component.name!r} is not allowed for this user"
    try:
        await component.handle_event(event, data, ctx)
    except EventRejected as exc:
        return exc.status, exc.reason
    except Exception:
        log.exception("liveui: %s.handle_event(%r) failed", type(component).__name__, event)
        return 500, "the action failed"
    if session is not None and component.id in session.components:
        session.push(component)
    return 204, ""
