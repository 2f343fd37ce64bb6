"""Pausing the live session of a hidden tab: `POST <prefix>/pause` and `POST <prefix>/resume`
(SSE pages), or the frames `{"liveui": "pause"}` / `{"liveui": "resume"}` on the live WebSocket.

liveui.js sends a pause once its tab has been hidden for `LiveSettings.pause_after` seconds and a
resume as soon as it is shown again. Both act on the session named by the live-session token
(sent in the `X-LiveUI-Token` header, like live actions), only if it belongs to the token's user,
and are idempotent. They are not charged to the user's action budget: a pause sets a flag and a
resume does at most the work the session would have done had it never paused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

if TYPE_CHECKING:
    from .gate import Gate
    from .session_registry import SessionRegistry

__all__ = ["VISIBILITY_MESSAGES", "set_paused", "visibility_endpoint"]

VISIBILITY_MESSAGES = {"pause": True, "resume": False}
"""The `liveui` value of a WebSocket frame (and the endpoint's last path segment) -> paused."""


async def set_paused(
    registry: SessionRegistry, user_id: Any, session_id: str, paused: bool
) -> tuple[int, str]:
    """Pause or resume one session of `user_id`; returns an HTTP-style status and a reason."""
    session = registry.get(session_id)
    if session is None or session.closed:
        return 404, "no such live session on this server"
    if session.user_id != user_id:
        return 403, "this live session belongs to another user"
    if paused:
        session = await registry.own(session_id)  # the tabs it shares a session with go on
        if session is not None:
            session.pause()
    else:
        await session.resume()
    return 204, ""


async def visibility_endpoint(request: Request, gate: Gate, paused: bool) -> Response:
    token = gate.token_of(request, "refused")
    if isinstance(token, Response):
        return token
    status, reason = await set_paused(gate.registry, token.user_id, token.session_id, paused)
    if status == 204:
        return Response(status_code=204)
    return PlainTextResponse(reason, status_code=status)
