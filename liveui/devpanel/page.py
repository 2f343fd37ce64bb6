"""`dev_panel_routes`: serve the dev panel at a path of your choosing, to administrators only.

    routes += dev_panel_routes(live, path="/admin/liveui", is_admin=user_is_admin)

Off unless mounted. `is_admin(user_id)` (sync or async) decides, on the server, for the page,
for its live connection (the component's `authorize`) and for every replay.
"""

from __future__ import annotations

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from .._utils import maybe_await
from ..errors import Forbidden
from ..live.app import LiveUI
from ..live.tags import page_head
from .component import PANEL_ID, DevPanel
from .recorder import IsAdmin, Recorder

__all__ = ["dev_panel_routes"]


def dev_panel_routes(
    live: LiveUI, *, is_admin: IsAdmin, path: str = "/liveui/dev", size: int = 50
) -> list[BaseRoute]:
    """The dev panel's page at `path`; it records the last `size` broadcasts and patches of
    `live`'s node from now on (recording costs a little per broadcast and per patch)."""
    recorder = Recorder(live.node, is_admin, size=size)
    recorder.attach(PANEL_ID)

    async def page(request: Request) -> Response:
        user_id = await maybe_await(live.get_user_id(request))
        if user_id is None or not await maybe_await(is_admin(user_id)):
            return PlainTextResponse("the dev panel is for administrators", status_code=403)
        panel = DevPanel()
        try:
            await live.prepare(request, panel)
        except Forbidden:
            return PlainTextResponse("the dev panel is for administrators", status_code=403)
        html = live.renderer.render(
            "liveui/dev_panel_page.html",
            head=page_head(live, request),
            panel=Markup(panel.render(live.renderer)),
        )
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    return [Route(path, page, methods=["GET"], name="liveui-dev-panel")]
