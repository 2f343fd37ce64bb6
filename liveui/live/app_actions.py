"""Live actions: the app's own buttons and forms, run without a page load.

    @live.action("cancel_order")
    async def cancel_order(request, user_id, data):
        ...                                    # raise EventRejected(409, "Already cancelled.")
        return f"Order #{data['id']} cancelled."

    <form method="post" action="{{ app_url('/orders/5/cancel') }}"
          {{ live_action("cancel_order", id=5) }}>

With JavaScript, htmx posts the form to `<prefix>/event` with `action=<name>` and the fields
(the live token in `X-LiveUI-Token` is the CSRF protection, the actor is the token's user);
the handler runs, the data it changed reaches every tab as live patches (collections, badges),
and the answer is one more patch: the flash message (`liveui/flash.html`, `id="liveui-flash"`),
an error one with the refusal's status. Without JavaScript the same form posts to its own
`action` URL, which the app serves as before (post, redirect, flash).

Double submits: the attributes make htmx drop a second submit while the first is in flight
(`hx-sync="this:drop"`); handlers should still refuse a repeated change clearly (409), as a
second tab can send the same action.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .._utils import maybe_await
from ..errors import EventRejected
from .fragment import _with_oob

if TYPE_CHECKING:
    from .render import Renderer

__all__ = ["FLASH_ID", "ActionHandler", "action_attrs", "flash_html", "run_action"]

log = logging.getLogger("liveui.live")

ActionHandler = Callable[[Request, Any, Mapping[str, str]], "Awaitable[str | None] | str | None"]
"""`(request, user_id, fields)` -> the flash message (or None); raise `EventRejected` to refuse."""

FLASH_ID = "liveui-flash"


def action_attrs(event_url: str, name: str, **fields: Any) -> Markup:
    """The htmx attributes that post an element (a form or a button) as the live action `name`."""
    vals = json.dumps({"action": name, **{k: str(v) for k, v in fields.items()}})
    return Markup(
        f'hx-post="{escape(event_url)}" hx-vals="{escape(vals)}" hx-swap="none"'
        ' hx-sync="this:drop"'
    )


def flash_html(renderer: Renderer, message: str | None, kind: str = "info") -> str:
    html = renderer.render("liveui/flash.html", id=FLASH_ID, message=message or "", kind=kind)
    return html


async def run_action(
    request: Request,
    actions: Mapping[str, ActionHandler],
    renderer: Renderer,
    user_id: Any,
    data: Mapping[str, str],
) -> Response:
    """Run the registered action named by `data["action"]`; answer with the flash patch."""
    name = data.get("action", "")
    handler = actions.get(name)
    if handler is None:
        return HTMLResponse(f"no live action named {escape(name)!s}", status_code=404)
    status, kind = 200, "info"
    try:
        message = await maybe_await(handler(request, user_id, data))
    except EventRejected as exc:
        status, kind, message = exc.status, "error", exc.reason
    except Exception:
        log.exception("liveui: the live action %r failed", name)
        status, kind, message = 500, "error", "The action failed; please try again."
    html = _with_oob(flash_html(renderer, message, kind), "true")
    return HTMLResponse(html, status_code=status)
