"""A person changes a component's view: `POST <prefix>/event` with `event=view`.

    component=<id>  view={"status": "pending", "q": "desk"}     (the X-LiveUI-Token header)

The server owns the view: it cleans what the page asked for against the component's declared
`view_params` (a value it does not allow becomes the default), builds the component of that
view, mounts it (one query) and swaps it into the tab's live session, which replaces the
element on the page — its spec with it, so a reconnect or a rebuilt session keeps the view.
The answer is the view the server chose, for the address bar:

    200 {"view": {"status": "pending", "q": "desk", "sort": "-inserted"},
         "query": "status=pending&q=desk"}

Only this tab's own mounted component can be changed (the token names the tab's session): 409
when the session is not on this node or not connected yet — liveui.js then loads the view's URL
instead, which renders it on the server like any typed-in URL. Malformed requests get a 400.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, PlainTextResponse, Response

from .component import authorized
from .specs import parse_json
from .view_params import view_query

if TYPE_CHECKING:
    from .session_registry import SessionRegistry

__all__ = ["VIEW_EVENT", "change_view"]

log = logging.getLogger("liveui.live")

VIEW_EVENT = "view"
MAX_VIEW = 4 * 1024


async def change_view(
    registry: SessionRegistry, user_id: Any, session_id: str, data: Mapping[str, Any]
) -> Response:
    component_id = data.get("component")
    raw = data.get("view")
    if not isinstance(component_id, str) or not isinstance(raw, str) or len(raw) > MAX_VIEW:
        return PlainTextResponse("a view change needs a 'component' and a 'view'", 400)
    try:
        wanted = parse_json(raw)
    except ValueError:
        return PlainTextResponse("the view is not JSON", 400)
    if not isinstance(wanted, dict):
        return PlainTextResponse("the view must be a JSON object", 400)
    session = registry.get(session_id)
    if session is not None and session.user_id == user_id:
        session = await registry.own(session_id)  # the view is this tab's alone
    if session is None or session.user_id != user_id or session.closed:
        return PlainTextResponse("no live session for this page here; load the view's URL", 409)
    current = session.components.get(component_id)
    if current is None:
        return PlainTextResponse("no such component on this page", 409)
    if not current.view_params:
        return PlainTextResponse(f"{current.name} declares no view params", 400)
    try:
        new = current.with_view(wanted)
    except Exception:
        return PlainTextResponse("bad view", 400)
    if new.id != current.id:  # an `id` derived from the view: not the same element
        return PlainTextResponse(f"{current.name}: its element id changes with its view", 400)
    if new.params != current.params:
        ctx = registry.make_context(user_id, session)
        if not await authorized(new, ctx):
            return PlainTextResponse("this view is not allowed for this user", 403)
        try:
            await session.replace(current, new)
        except Exception:
            log.exception("liveui: changing the view of %s failed", type(current).__name__)
            return PlainTextResponse("the view could not be loaded", 500)
    else:
        new = current
    view = new.view
    cleaned = new.clean_view(view)
    return JSONResponse({"view": view, "query": view_query(new.view_params, cleaned)})
