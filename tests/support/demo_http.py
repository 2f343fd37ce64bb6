"""The demo's forms over plain HTTP, as a browser-less person would use them: the CSRF token a
page carries, logging in through the login form, posting an action form.

Every demo user's password is "demo". The helpers take a `httpx.Client` whose `base_url` is the
demo's, so the session cookie the login sets is kept for the requests that follow.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

__all__ = [
    "CSRF_FIELD",
    "csrf_token",
    "log_in_over_http",
    "logged_in_client",
    "new_logged_in_client",
    "post_form",
]

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
"""The hidden field of every demo form; group 1 is the token."""


def csrf_token(client: httpx.Client, path: str) -> str:
    """The CSRF token of the form(s) on the page at `path` (GET with `client`'s session)."""
    found = CSRF_FIELD.search(client.get(path).text)
    assert found is not None, f"the page {path} carries no CSRF token"
    return found.group(1)


def log_in_over_http(client: httpx.Client, username: str, password: str = "demo") -> None:
    """Submit the login form with its CSRF token; the demo answers 303 to a good login."""
    response = client.post(
        "/login",
        data={"csrf_token": csrf_token(client, "/login"), "username": username,
              "password": password},
    )
    assert response.status_code == 303, f"login of {username}: {response.status_code} " + (
        response.text[:300]
    )


def post_form(client: httpx.Client, path: str, page: str) -> httpx.Response:
    """POST the action form at `path` with the CSRF token read from `page`, as its button
    would."""
    return client.post(path, data={"csrf_token": csrf_token(client, page)})


def new_logged_in_client(url: str, username: str, timeout: float = 10.0) -> httpx.Client:
    """A new client of the demo at `url`, logged in as `username`; the caller closes it (or
    leaves it to the garbage collector, as a module of short tests may)."""
    client = httpx.Client(base_url=url, timeout=timeout)
    log_in_over_http(client, username)
    return client


@contextmanager
def logged_in_client(url: str, username: str, timeout: float = 10.0) -> Iterator[httpx.Client]:
    """A client of the demo at `url`, logged in as `username`, closed when the block ends."""
    client = new_logged_in_client(url, username, timeout)
    try:
        yield client
    finally:
        client.close()
