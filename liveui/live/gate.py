"""`Gate`: what the live transports (SSE, WebSocket, actions) need to let a request in — and
nothing more: the session registry, the token reader, the settings, the revocations, the app's
live actions and the per-user action budgets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ..errors import TokenError
from ..ratelimit import TokenBucket

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..auth.revocations import Revocations
    from .app_actions import ActionHandler
    from .live_settings import LiveSettings
    from .session_registry import SessionRegistry
    from .session_token import LiveToken, SessionTokens

__all__ = ["TOKEN_HEADER", "Gate"]

TOKEN_HEADER = "x-liveui-token"
"""The header live POSTs carry their session token in (a custom header: a cross-site form
cannot send it, so these POSTs need no CSRF token of their own)."""


class Gate:
    def __init__(
        self,
        registry: SessionRegistry,
        tokens: SessionTokens,
        settings: LiveSettings,
        revocations: Revocations,
        actions: Mapping[str, ActionHandler],
    ) -> None:
        self.registry = registry
        self.actions = actions
        self.tokens = tokens
        self.settings = settings
        self.revocations = revocations
        self._action_budgets: dict[str, TokenBucket] = {}

    def token_of(self, request: Request, refused: str) -> LiveToken | Response:
        """The live-session token a POST (an action, a pause) carries in its header, or the
        answer refusing it: 503 before the node runs, 403 for a missing, forged, expired or
        revoked token (`refused` starts the reason)."""
        not_running = self.registry.refuse_if_not_running()
        if not_running is not None:
            return PlainTextResponse(not_running, status_code=503)
        try:
            return self.tokens.read(request.headers.get(TOKEN_HEADER))
        except TokenError as exc:
            return PlainTextResponse(f"{refused}: {exc.reason}", status_code=403)

    def allow_action(self, user_id: Any, now: float) -> bool:
        """Spend one of `user_id`'s live actions (`max_actions_per_second`, on this node)."""
        key = str(user_id)
        bucket = self._action_budgets.get(key)
        if bucket is None:
            s = self.settings
            bucket = self._action_budgets[key] = TokenBucket(
                s.max_actions_per_second, s.max_actions_burst, now
            )
        return bucket.take(now)

    def forget_budgets(self, now: float) -> None:
        """On the shared ticker: drop the budgets that refilled (their users went quiet)."""
        budgets = self._action_budgets
        if budgets:
            for key in [k for k, bucket in budgets.items() if bucket.full(now)]:
                del budgets[key]
