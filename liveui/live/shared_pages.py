"""`SharedPages`: the sessions a new tab may join, by the page they show (docs/live.md, Shared
sessions).

A page is who looks (user and login) and at what (each component's type and params, in order);
the newest session opened for it is listed. While it loads, tabs opening the same page wait for
it (`opening`) instead of loading their own. Whether a tab may then join is the session's to say
(`LiveSession.shows`: same etags, nothing under way); a session that did something for one tab
only is unlisted for good.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..auth.claims import AuthClaims
    from .component import LiveComponent
    from .session import LiveSession

__all__ = ["PageKey", "SharedPages", "awaited_by", "page_key"]

PageKey = tuple[str, "AuthClaims | None", tuple[tuple[str, str], ...]]
"""Who looks (user, login) and at what (each component's type and params, in order)."""


def page_key(
    user_id: Any, auth: AuthClaims | None, components: list[tuple[LiveComponent, str | None]]
) -> PageKey:
    return (str(user_id), auth, tuple((c.name, c.params_json) for c, _ in components))


def awaited_by(waiting: dict[Any, asyncio.Future[None]], key: Any) -> Callable[[], None]:
    """Put a future under `key` that others may await; returns what resolves and removes it."""
    future = waiting[key] = asyncio.get_running_loop().create_future()

    def resolve() -> None:
        del waiting[key]
        future.set_result(None)

    return resolve


class SharedPages:
    __slots__ = ("_listed", "_opening", "_pages")

    def __init__(self) -> None:
        self._pages: dict[PageKey, LiveSession] = {}
        self._listed: dict[int, PageKey] = {}  # id(session) -> the page it is listed for
        self._opening: dict[PageKey, asyncio.Future[None]] = {}

    def __len__(self) -> int:
        return len(self._pages)

    def get(self, key: PageKey) -> LiveSession | None:
        return self._pages.get(key)

    async def opened(self, key: PageKey) -> None:
        """Return once no session of this page is loading (at once when none is)."""
        opening = self._opening.get(key)
        if opening is not None:
            await asyncio.shield(opening)

    def list(self, key: PageKey, session: LiveSession) -> Callable[[], None] | None:
        """List `session` for its page as it starts loading; returns what to call once it has
        loaded (or failed to), or None when another session of the page is loading already
        (the first one stays listed)."""
        if key in self._opening:
            return None
        self._unlist_page(key)
        self._pages[key] = session
        self._listed[id(session)] = key
        return awaited_by(self._opening, key)

    def unlist(self, session: LiveSession) -> None:
        """No other tab joins `session` from now on."""
        key = self._listed.pop(id(session), None)
        if key is not None and self._pages.get(key) is session:
            del self._pages[key]

    def _unlist_page(self, key: PageKey) -> None:
        listed = self._pages.pop(key, None)
        if listed is not None:
            self._listed.pop(id(listed), None)
