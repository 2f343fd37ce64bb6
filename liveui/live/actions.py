"""User actions: `POST <prefix>/event` (htmx) and JSON messages on the live WebSocket (ws-send).

A POST names either a component event (`event` + the component's `spec`) or one of the app's
live actions (`action`, see `app_actions`).

CSRF: the POST must carry the live-session token in the `X-LiveUI-Token` header (liveui.js adds
it to htmx requests for the live prefix). Nothing is read from cookies, and a cross-site page can
neither read the token nor make the browser send a custom header without a CORS preflight, which
is never granted. The actor is always the token's user; the component checks ownership.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ..errors import EventRejected, SpecError, TokenError
from .app_actions import ActionHandler, run_action
from .component import authorized, component_from_spec

if TYPE_CHECKING:
    from .registry import SessionRegistry
    from .session_token import SessionTokens

__all__ = ["TOKEN_HEADER", "event_endpoint", "run_event"]

log = logging.getLogger("liveui.live")

TOKEN_HEADER = "x-liveui-token"
MAX_FIELDS = 50


async def event_endpoint(
    request: Request,
    registry: SessionRegistry,
    tokens: SessionTokens,
    actions: Mapping[str, ActionHandler] | None = None,
) -> Response:
    try:
        token = tokens.read(request.headers.get(TOKEN_HEADER))
    except TokenError as exc:
        return PlainTextResponse(f"action refused: {exc.reason}", status_code=403)
    try:
        form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    except Exception as exc:
        return PlainTextResponse(f"unreadable form: {exc}", status_code=400)
    data = {key: value for key, value in form.items() if isinstance(value, str)}
    if "action" in data:
        return await run_action(request, actions or {}, registry.renderer, token.user_id, data)
    status, reason = await run_event(registry, token.user_id, token.session_id, data)
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
    try:
        spec = json.loads(str(data.get("spec") or ""))
        component, _ = component_from_spec(spec)
    except (ValueError, SpecError) as exc:
        return 400, f"bad component spec: {exc}"
    session = registry.get(session_id)
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
