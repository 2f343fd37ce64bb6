"""Alice's clients on a node: her phoenix.js socket on her user channel, and her live page
logged in through the demo's form."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, Page, expect

from demo.process import DemoProcess
from demo.sockets import socket_token
from liveui import AuthClaims
from tests.compat.bridge import PhoenixClient
from tests.e2e.login_form import log_in_through_the_form
from tests.multinode.cluster import SECRET_KEY

__all__ = ["BADGE", "join_user_channel", "open_live_page", "pending_seen", "same_document"]

BADGE = "#liveui-badge-pending_orders"


def join_user_channel(phoenix: PhoenixClient, node: DemoProcess, user_id: int) -> dict[str, Any]:
    """Connect alice's phoenix.js socket "s" to `node`, join `user:<id>` as channel "c" and
    return the `initial_state` it receives."""
    phoenix.open_socket(
        "s",
        node.socket_url,
        params={"token": socket_token(SECRET_KEY, AuthClaims(user_id, "multinode-test", 0))},
        reconnectAfterMs=[200, 500, 1000],
    )
    phoenix.joined("c", "s", f"user:{user_id}")
    state: dict[str, Any] = phoenix.wait("chan_msg", 10, channel="c", event="initial_state")
    return state


def pending_seen(phoenix: PhoenixClient) -> int | None:
    """The pending_orders value the client holds now, as the SDK store keeps it: of every
    `initial_state` and `counter_updated` received, the one with the highest version (arrival
    order may differ from read order: docs/pubsub.md, Consistency)."""
    value, newest = None, float("-inf")
    for event in phoenix.all("chan_msg", channel="c"):
        payload = event["payload"]
        if event["event"] == "initial_state":
            seen = payload["counters"]["pending_orders"]
            version = payload["versions"]["pending_orders"]
        elif event["event"] == "counter_updated" and payload["counter"] == "pending_orders":
            seen, version = payload["value"], payload["version"]
        else:
            continue
        if version >= newest:
            value, newest = seen, version
    return value


def open_live_page(page: Page, node: DemoProcess, username: str = "alice") -> Locator:
    """Log in through the form on `node`, wait for the live connection; return the badge."""
    log_in_through_the_form(page, node.url, username)
    page.wait_for_function(
        "window.liveui && window.liveui.source && window.liveui.source.readyState === 1",
        timeout=10_000,
    )
    page.evaluate("window.__sameDocument = true")  # gone if anything reloads the page
    badge = page.locator(BADGE)
    expect(badge).to_be_attached()
    return badge


def same_document(page: Page) -> bool:
    return page.evaluate("window.__sameDocument === true") is True
