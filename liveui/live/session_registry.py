"""`SessionRegistry`: the live sessions of this process, by session id.

Its one periodic check runs on the node's shared ticker: heartbeats for quiet connections,
freeing sessions whose tab has been gone longer than the grace period, and anti-entropy — a few
sessions per tick are compared with the database and repaired if they drifted (`verify`), so a
page that missed something is fixed within `verify_interval` whatever the cause (paused
sessions are skipped: they render nothing, and resuming brings them up to date). `resync_all`
is the one pub/sub resync listener of the node's live sessions (registered by `LiveUI.start`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..close_codes import CloseCode
from ..errors import Forbidden
from .component import LiveComponent, authorized
from .context import LiveContext
from .live_connection import LiveConnection
from .live_settings import LiveSettings
from .live_stats import LiveStats
from .patch_flusher import PatchFlusher
from .session import LiveSession
from .shared_pages import SharedPages, awaited_by, page_key

if TYPE_CHECKING:
    from ..auth.claims import AuthClaims
    from ..auth.revocations import Revocation
    from ..pubsub.hub import Hub
    from .render import Renderer

ContextFactory = Callable[[Any, "LiveSession | None"], LiveContext]
"""`(user_id, session)` -> the context components load their data through."""

__all__ = ["SessionRegistry"]

log = logging.getLogger("liveui.live")



class SessionRegistry:
    def __init__(
        self,
        hub: Hub,
        renderer: Renderer,
        settings: LiveSettings,
        make_context: ContextFactory,
    ) -> None:
        self.hub = hub
        self.renderer = renderer
        self.settings = settings
        self.make_context = make_context
        self.sessions: dict[int, LiveSession] = {}
        """Every live session once (by `id`): a session tabs share is one entry."""
        self.running = False
        """Set while the node runs: the transports refuse connections before its lifespan."""
        self._not_running_logged = False
        # Per tab (page) id, its session; per user, their tabs oldest first (a dict keeps
        # insertion order); per page a session may be joined on, the newest one.
        self._tabs: dict[str, LiveSession] = {}
        self._by_user: dict[str, dict[str, LiveSession]] = {}
        self.shared = SharedPages()
        """The sessions a new tab of the same page may join (docs/live.md, Shared sessions)."""
        self._splitting: dict[str, asyncio.Future[None]] = {}
        self.verified = 0
        """Sessions compared with the database by anti-entropy."""
        self.repairs = 0
        """Sessions anti-entropy found drifted and repaired."""
        self._verifier: asyncio.Task[int] | None = None
        self.stats = LiveStats()
        self.flusher = PatchFlusher()
        """Writes each session's patches of a loop turn as one (shared by the node's sessions)."""

    def __len__(self) -> int:
        """Open pages (tabs), whether they share sessions or not."""
        return len(self._tabs)

    def get(self, session_id: str) -> LiveSession | None:
        """The session page `session_id` reads (maybe shared with other tabs: to act on it for
        this tab alone, `own`)."""
        return self._tabs.get(session_id)

    async def own(self, session_id: str) -> LiveSession | None:
        """The session of page `session_id` alone, for what concerns that tab only (an action,
        a view change, a pause): a tab that shares its session leaves it first, for one of its
        own mounted from the database (`_split`). The session is not shared from then on."""
        splitting = self._splitting.get(session_id)
        if splitting is not None:
            await asyncio.shield(splitting)
        session = self._tabs.get(session_id)
        if session is None or session.closed:
            return session
        if len(session.tabs) > 1:
            session = await self._split(session, session_id)
        if session.shareable:
            session.shareable = False
            self.shared.unlist(session)
        return session

    def paused_count(self) -> int:
        """Sessions paused because their tab is hidden (docs/hidden-tabs.md); one pass over
        the sessions, meant for a metrics scrape rather than a hot path."""
        return sum(1 for session in self.sessions.values() if session.paused)

    async def connect(
        self,
        user_id: Any,
        session_id: str,
        components: list[tuple[LiveComponent, str | None]],
        last_event_id: str | None,
        auth: AuthClaims | None = None,
    ) -> LiveConnection:
        """Attach a connection: replay from `last_event_id` if possible, else rebuild and resync.

        A user holds at most `max_sessions_per_user` sessions on this node; policy "oldest
        closed": opening one more closes that user's oldest (its tab reconnects and takes a
        place again, so only a user with more tabs than the limit sees tabs take turns).

        A new session's components are authorized first (`LiveComponent.authorize`); one refused
        raises `Forbidden` and nothing is subscribed or mounted."""
        session = self._tabs.get(session_id)
        if session is not None and (session.closed or session.user_id != user_id):
            session = None
        if session is not None:
            seq = session.outbox.parse(last_event_id)
            if seq is not None:
                self.stats.attaches["replay"] += 1
                connection = session.attach(seq, session_id)  # replay what was missed,
                await session.resume()  # then what a paused tab did not get rendered
                return connection
            if len(session.tabs) > 1:  # its page is unknown: a session of its own, all sent
                self.stats.attaches["resync"] += 1
                session = await self._split(session, session_id, full=True)
                return session.attach(0, session_id)
            self.stats.attaches["resync"] += 1
            connection = session.attach(session.outbox.seq, session_id)
            await session.resume()
            await session.resync()
            session.flush()  # the connection's first write: no reason to wait for the loop turn
            return connection
        await self.authorize(user_id, [c for c, _ in components])
        key = page_key(user_id, auth, components)
        share = self.settings.share_sessions
        if share:  # the same page is being opened: join it once it is loaded
            await self.shared.opened(key)
        self._make_room(user_id)
        shared = self.shared.get(key) if share else None
        if shared is not None and shared.shows(components):
            # The page shows what this session does: it follows that session's patches.
            self.stats.attaches["joined"] += 1
            self._admit(session_id, shared)
            return shared.attach(shared.outbox.seq, session_id)
        session = self._session(user_id, session_id, [c for c, _ in components], auth)
        self.stats.attaches["new"] += 1
        self._admit(session_id, session)
        connection = session.attach(0)
        etags: Mapping[str, str | None] = {c.id: etag for c, etag in components}
        await self._start(session, etags, self.shared.list(key, session) if share else None)
        return connection

    async def _start(
        self, session: LiveSession, etags: Mapping[str, str | None],
        loaded: Callable[[], None] | None,
    ) -> None:
        """Mount `session`, then write its first patch at once (no reason to wait for the loop
        turn); `loaded` is called once the mount is over, whether it worked or not."""
        try:
            await session.start(etags)
        except BaseException:
            self.discard(session, "mount failed")
            raise
        finally:
            if loaded is not None:
                loaded()
        session.flush()

    def _session(
        self, user_id: Any, session_id: str, components: list[LiveComponent],
        auth: AuthClaims | None,
    ) -> LiveSession:
        session = LiveSession(
            user_id,
            session_id,
            components,
            hub=self.hub,
            renderer=self.renderer,
            settings=self.settings,
            make_context=self.make_context,
            auth=auth,
            stats=self.stats,
            flusher=self.flusher,
        )
        self.sessions[id(session)] = session
        return session

    async def _split(
        self, shared: LiveSession, tab: str, *, full: bool = False
    ) -> LiveSession:
        """Give page `tab` a session of its own: its connections (and the patches they have not
        written) move to it, and it is mounted from the database like a new page showing what
        `shared` shows — what differs is sent (`full`: everything, the page is unknown)."""
        self.stats.attaches["split"] += 1
        components = [type(c)(**c.params) for c in shared.components.values()]
        # Patches still queued (waiting for a row read) are not in the outbox the tab's
        # connections take along: its page is behind the shared state, so everything is sent.
        full = full or shared.has_unsent()
        etags = {} if full else {c.id: c.etag() for c in shared.components.values()}
        session = self._session(shared.user_id, tab, components, shared.auth)
        session.shareable = False
        shared.hand_over(tab, session)
        self._tabs[tab] = session
        own = self._by_user.get(str(shared.user_id))
        if own is not None and tab in own:
            own[tab] = session
        await self._start(session, etags, awaited_by(self._splitting, tab))
        return session

    def refuse_if_not_running(self) -> str | None:
        """A reason to refuse a connection when the node never started (its lifespan did not
        run: a sub-app mounted in a parent app whose lifespan does not enter it); logged once."""
        if self.running:
            return None
        if not self._not_running_logged:
            self._not_running_logged = True
            log.error(
                "liveui: a live connection arrived but the node was never started: pass "
                "lifespan=node.lifespan to the app, or enter `async with node.lifespan():` in "
                "the lifespan of the app it is mounted in (docs/live.md, Mounting under a prefix)"
            )
        return "liveui is not running (its node was never started); see the server log"

    def _make_room(self, user_id: Any) -> None:
        """Close the user's oldest tabs until one more fits (before a session to join is
        chosen: the oldest tab may be the last of that session)."""
        own = self._by_user.get(str(user_id), {})
        while len(own) >= self.settings.max_sessions_per_user:
            oldest_tab, oldest = next(iter(own.items()))
            log.info("liveui: %r closed: too many live sessions of one user", oldest,
                     extra={"liveui_user": str(oldest.user_id), "liveui_session": oldest_tab})
            self.drop_tab(oldest_tab, "too many open pages of this user", CloseCode.POLICY)

    def _admit(self, tab: str, session: LiveSession) -> None:
        self._make_room(session.user_id)
        self._by_user.setdefault(str(session.user_id), {})[tab] = session
        self._tabs[tab] = session

    def drop_tab(
        self, tab: str, reason: str, code: CloseCode = CloseCode.TRY_AGAIN
    ) -> None:
        """Close page `tab`'s connections and forget it; its session ends with its last tab."""
        session = self._tabs.get(tab)
        if session is None:
            return
        if len(session.tabs) <= 1 and tab in session.tabs:
            self.discard(session, reason, code)
            return
        session.close_tab(tab, reason, code)
        self._forget_tab(tab, session)

    async def authorize(self, user_id: Any, components: list[LiveComponent]) -> None:
        """Raise `Forbidden` naming the first component this user may not have."""
        if not components:
            return
        ctx = self.make_context(user_id, None)
        for component in components:
            if not await authorized(component, ctx):
                raise Forbidden(f"the component {component.name!r} ({component.id}) is not "
                                "allowed for this user")

    def discard(
        self, session: LiveSession, reason: str, code: CloseCode = CloseCode.TRY_AGAIN
    ) -> None:
        session.close(reason, code)
        self.sessions.pop(id(session), None)
        self.shared.unlist(session)
        for tab in list(session.tabs):
            self._forget_tab(tab, session)
        session.tabs.clear()

    def _forget_tab(self, tab: str, session: LiveSession) -> None:
        if self._tabs.get(tab) is session:
            del self._tabs[tab]
        own = self._by_user.get(str(session.user_id))
        if own is not None and own.get(tab) is session:
            del own[tab]
            if not own:
                del self._by_user[str(session.user_id)]

    def revoked(self, revocation: Revocation) -> None:
        """A login ended (on any node): close its sessions; their tokens are refused from now."""
        for session in list(self.sessions.values()):
            if session.auth is not None and revocation.covers(session.auth):
                self.discard(session, "logged out", CloseCode.POLICY)

    def count_for(self, user_id: Any) -> int:
        return len(self._by_user.get(str(user_id), ()))

    def close_all(self, reason: str, code: CloseCode = CloseCode.RESTART) -> None:
        for session in list(self.sessions.values()):
            self.discard(session, reason, code)

    async def resync_all(self) -> None:
        """Re-mount every session from the database and send what changed.

        The hub runs this after a pub/sub outage, when broadcasts may have been lost. Sessions
        waiting for their tab to reconnect are included, so a replay brings the repaired state.
        At most `resync_concurrency` sessions reload at once: thousands of tabs must not empty
        the database pool at the same moment.
        """
        sessions = [s for s in self.sessions.values() if not s.closed]
        log.info("liveui: resync: %d live session(s) reload their state", len(sessions),
                 extra={"liveui_sessions": len(sessions)})
        pending = iter(sessions)

        async def worker() -> None:
            for session in pending:
                if session.closed:
                    continue
                try:
                    await session.resync(full=False)
                except Exception:
                    log.exception("liveui: resync of %r failed", session)

        workers = min(self.settings.resync_concurrency, len(sessions))
        await asyncio.gather(*(worker() for _ in range(workers)))

    def check(self, now: float) -> None:
        """On the shared ticker: heartbeat quiet connections, free expired sessions, start one
        anti-entropy batch."""
        settings = self.settings
        quiet_since = now - settings.heartbeat_interval
        expired_before = now - settings.grace_period
        unverified_since = now - settings.verify_interval
        due: list[LiveSession] = []
        for session in list(self.sessions.values()):
            for connection in session.connections:
                if connection.last_write <= quiet_since:
                    connection.ping()
            gone = [tab for tab, since in session.tabs.items()
                    if since is not None and since <= expired_before]
            if gone and len(gone) == len(session.tabs):
                log.debug("liveui: freeing %r after the grace period", session)
                self.discard(session, "grace period over")
                continue
            for tab in gone:  # tabs of a shared session that did not come back
                session.tabs.pop(tab, None)
                self._forget_tab(tab, session)
            if session.paused:
                continue  # it renders nothing; resuming brings it up to date
            if session.verified_at <= unverified_since and len(due) < settings.verify_per_tick:
                due.append(session)
        if settings.verify_interval and due and self._verifier is None:
            self._verifier = asyncio.get_running_loop().create_task(self.verify(due))
            self._verifier.add_done_callback(self._verified)

    def _verified(self, task: asyncio.Task[int]) -> None:
        self._verifier = None
        if not task.cancelled() and task.exception() is not None:
            log.error("liveui: anti-entropy failed", exc_info=task.exception())

    async def verify(self, sessions: list[LiveSession]) -> int:
        """Compare `sessions` with the database and repair the ones that drifted; the sessions
        of one user share one load, and the users' loads run together, so the data source can
        batch them (one query per counter for the whole tick, not one per user). Returns how
        many were repaired."""
        by_user: dict[str, list[LiveSession]] = {}
        for session in sessions:
            by_user.setdefault(str(session.user_id), []).append(session)
        repaired = sum(await asyncio.gather(*(self._verify_user(g) for g in by_user.values())))
        self.repairs += repaired
        return repaired

    async def _verify_user(self, group: list[LiveSession]) -> int:
        """One load for the user's sessions, all of them held from before it until each was
        compared (a broadcast landing in between waits, instead of being rolled back by the
        older load: `LiveSession.verify_held`)."""
        repaired = 0
        ctx = self.make_context(group[0].user_id, None)
        async with contextlib.AsyncExitStack() as holding:
            for session in group:
                await holding.enter_async_context(session.held())
            for session in group:
                repaired += self._verified_one(session, await self._check(session, ctx))
        return repaired

    async def _check(self, session: LiveSession, ctx: LiveContext) -> list[str] | None:
        if session.closed:
            return None
        try:
            return await session.verify_held(ctx)
        except Exception:
            log.exception("liveui: anti-entropy check of %r failed", session)
            return None

    def _verified_one(self, session: LiveSession, drifted: list[str] | None) -> int:
        if drifted is None:
            return 0
        self.verified += 1
        if not drifted:
            return 0
        log.info(
            "liveui: anti-entropy repaired %r: %s", session, ", ".join(map(repr, drifted)),
            extra={"liveui_user": str(session.user_id), "liveui_session": session.session_id,
                   "liveui_components": drifted},
        )
        return 1
