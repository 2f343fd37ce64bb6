"""`Gate`: what the live transports (SSE, WebSocket, actions) need to let a request in — and
nothing more: the session registry, the token reader, the settings, the revocations, the app's
live actions and the per-user action budgets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..ratelimit import TokenBucket

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..auth.revocations import Revocations
    from .app_actions import ActionHandler
    from .registry import SessionRegistry
    from .session_token import SessionTokens
    from .settings import LiveSettings

__all__ = ["Gate"]


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
