"""Log in and out with a signed session cookie; a per-session CSRF token for the demo's forms.

The cookie holds the login's `AuthClaims` (user, login session, auth epoch), so logging out
(`revoke_session`) or an admin's "Log out everywhere" (`revoke_user`) also refuses a copy of the
old cookie, and ends that login's live pages and sockets on every node. Passwords are checked
in a worker thread, unknown users cost the same hash as known ones, and failed logins are
throttled per (username, address) and per address (429 with Retry-After), and slowed down per
username (`LoginThrottle`): nobody can lock another user out.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from liveui import AuthClaims, Revocations, TokenError

from .models import User, hash_password, verify_password

__all__ = [
    "FORM_LIMITS",
    "LoginThrottle",
    "TooManyAttempts",
    "check_csrf",
    "csrf_matches",
    "csrf_token",
    "current_login",
    "current_user_id",
    "log_in",
    "log_out",
    "require_login",
    "require_user",
]

FORM_LIMITS: dict[str, Any] = {"max_files": 0, "max_fields": 20, "max_part_size": 16 * 1024}
"""Every demo form is a handful of short fields."""

# Hashed once: an unknown username is checked against it, so it costs as much as a known one.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def _revocations(request: Request) -> Revocations:
    revocations: Revocations = request.app.state.node.revocations
    return revocations


def current_login(request: Request) -> AuthClaims | None:
    """The request's login, unless it was revoked (then the cookie is cleared)."""
    if "session" not in request.scope:
        return None
    raw = request.session.get("login")
    if raw is None:
        return None
    try:
        claims = _revocations(request).check(AuthClaims.from_json(raw))
    except TokenError:
        request.session.clear()
        return None
    return claims


def current_user_id(request: Request) -> str | None:
    login = current_login(request)
    return login.user_key if login is not None else None


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return str(token)


def csrf_matches(request: Request, sent: Any) -> bool:
    """Whether `sent` is this session's CSRF token (for forms read another way, with files)."""
    expected = request.session.get("csrf")
    return bool(expected) and isinstance(sent, str) and secrets.compare_digest(
        sent.encode(), str(expected).encode()
    )


async def check_csrf(request: Request) -> dict[str, Any]:
    """Read the form (bounded) and reject it unless it carries this session's CSRF token.

    The header is compared first, so a script's request is refused before its body is read;
    the request-size middleware has already refused any body too large to be a demo form."""
    expected = request.session.get("csrf")
    sent: Any = request.headers.get("x-csrf-token")
    if not expected:
        raise HTTPException(403, "CSRF token missing or invalid; reload the page and try again")
    form: dict[str, Any] = {}
    if sent is None:
        try:
            form = dict(await request.form(**FORM_LIMITS))
        except Exception:
            raise HTTPException(400, "The form could not be read.") from None
        sent = form.get("csrf_token")
    if not isinstance(sent, str) or not secrets.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(403, "CSRF token missing or invalid; reload the page and try again")
    if not form:
        try:
            form = dict(await request.form(**FORM_LIMITS))
        except Exception:
            raise HTTPException(400, "The form could not be read.") from None
    return form


def require_login(request: Request) -> str:
    """The logged-in user's id as the cookie has it (no database read), else a redirect to log
    in: checked before a form is read, so a logged-out POST goes to the login page."""
    user_id = current_user_id(request)
    if user_id is not None and user_id.isdigit() and len(user_id) < 19:
        return user_id
    raise HTTPException(303, headers={"Location": f"/login?next={request.url.path}"})


async def require_user(request: Request, session: AsyncSession | None = None) -> User:
    """The logged-in user, read in `session` when the request has one open (an action reads
    the user and makes its change in one session), else in a session of its own."""
    user_id = int(require_login(request))
    if session is not None:
        user = await session.get(User, user_id)
    else:
        async with request.app.state.sessions() as own:
            user = await own.get(User, user_id)
    if user is None:
        raise HTTPException(303, headers={"Location": f"/login?next={request.url.path}"})
    return user


class TooManyAttempts(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__("too many failed logins")
        self.retry_after = retry_after


class LoginThrottle:
    """Failed logins within `window` seconds, counted three ways, so that an attacker's failures
    never lock the real user out:

    - per (username, address): beyond `per_pair`, that address may not try that username
      (429 until the oldest failure ages out); other addresses still may;
    - per address: beyond `per_peer` (higher: many people share an address), that address may
      not try any username;
    - per username, from all addresses: beyond `slow_after`, every attempt at that username
      waits `delay` seconds first — a cost to a guesser spread over many addresses, and a second
      to the real user, who still gets in. No lockout by username alone.

    A success clears its (username, address) count. Memory is bounded by `max_keys`."""

    def __init__(
        self,
        per_pair: int = 5,
        per_peer: int = 50,
        slow_after: int = 20,
        delay: float = 1.0,
        window: float = 60.0,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_pair = per_pair
        self.per_peer = per_peer
        self.slow_after = slow_after
        self.delay = delay
        self.window = window
        self.max_keys = max_keys
        self.clock = clock
        self._failures: dict[tuple[str, ...], list[float]] = {}

    def _recent(self, key: tuple[str, ...], now: float) -> list[float]:
        recent = [t for t in self._failures.get(key, ()) if t > now - self.window]
        if recent:
            self._failures[key] = recent
        else:
            self._failures.pop(key, None)
        return recent

    def check(self, username: str, peer: str) -> float:
        """Raise TooManyAttempts if this address may not try now; else the seconds to wait
        before checking the password (0 unless the username is under a spread attack)."""
        now = self.clock()
        limits = ((("pair", username, peer), self.per_pair), (("peer", peer), self.per_peer))
        for key, limit in limits:
            recent = self._recent(key, now)
            if len(recent) >= limit:
                raise TooManyAttempts(recent[0] + self.window - now)
        return self.delay if len(self._recent(("user", username), now)) >= self.slow_after else 0.0

    def failed(self, username: str, peer: str) -> None:
        now = self.clock()
        if len(self._failures) >= self.max_keys:  # bounded: forget the oldest keys
            for key in list(self._failures)[: self.max_keys // 10]:
                del self._failures[key]
        for key in (("pair", username, peer), ("peer", peer), ("user", username)):
            self._failures.setdefault(key, []).append(now)

    def succeeded(self, username: str, peer: str) -> None:
        self._failures.pop(("pair", username, peer), None)


async def log_in(request: Request, username: str, password: str) -> User | None:
    """Check the password (off the event loop, same cost for unknown users) and start a new
    login session; raises TooManyAttempts while this address is throttled (for the username or
    for all)."""
    throttle: LoginThrottle = request.app.state.login_throttle
    peer = request.client.host if request.client else "?"
    delay = throttle.check(username, peer)
    if delay:
        await asyncio.sleep(delay)  # the username is being guessed from many addresses
    async with request.app.state.sessions() as session:
        user = await session.scalar(select(User).where(User.username == username))
    stored = user.password_hash if user is not None else _DUMMY_HASH
    matches = await asyncio.to_thread(verify_password, password, stored)
    if user is None or not matches:
        throttle.failed(username, peer)
        return None
    throttle.succeeded(username, peer)
    login = _revocations(request).login(user.id)
    request.session.clear()
    request.session["login"] = login.to_json()
    return user


async def log_out(request: Request) -> Response:
    """End this login everywhere: the cookie, its live pages and its sockets."""
    login = current_login(request)
    request.session.clear()
    if login is not None:
        await _revocations(request).revoke_session(login)
    return RedirectResponse("/login", status_code=303)


def retry_after_header(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(seconds)))}
