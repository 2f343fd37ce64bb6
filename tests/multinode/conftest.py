"""Fixtures of the multi-node suite: a fresh PostgreSQL database per module, demo nodes sharing
it, a throwaway redis-server, alice's phoenix.js client and alice's live page, both on node B."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from demo.process import DemoProcess
from demo.sockets import socket_token
from liveui import AuthClaims
from tests.compat.bridge import PhoenixClient

from .cluster import SECRET_KEY, ShopDatabase, ShopUser

BADGE = "#liveui-badge-pending_orders"


def shop_database(postgres_url: str) -> Iterator[ShopDatabase]:
    """A fresh shop database, dropped afterwards (the body of the fixtures below)."""
    database = ShopDatabase(postgres_url)
    database.create()
    try:
        yield database
    finally:
        database.drop()


@pytest.fixture(scope="module")
def shop_db(postgres_url: str) -> Iterator[ShopDatabase]:
    yield from shop_database(postgres_url)


@dataclass
class Cluster:
    a: DemoProcess
    b: DemoProcess
    db: ShopDatabase
    pubsub_url: str

    @property
    def alice(self) -> int:
        return self.db.user_id("alice")


@contextlib.contextmanager
def running_cluster(
    db: ShopDatabase,
    pubsub_url: str,
    log_dir: Path,
    transports: tuple[str, str] = ("sse", "sse"),
) -> Iterator[Cluster]:
    """Nodes A and B on one database and one pub/sub backend, each serving live pages over its
    own transport (`LIVEUI_TRANSPORT`). A starts first: it seeds the users, and B finds them
    there."""
    env = {"LIVEUI_DATABASE_URL": db.url, "LIVEUI_PUBSUB_URL": pubsub_url}
    a, b = (
        DemoProcess(
            log_dir, secret_key=SECRET_KEY, transport=transport, env=env, name=f"node-{name}"
        )
        for name, transport in zip(("a", "b"), transports, strict=True)
    )
    try:
        a.start()
        b.start()
        yield Cluster(a, b, db, pubsub_url)
    except BaseException:
        print(f"--- node a ---\n{a.log()}\n--- node b ---\n{b.log()}")
        raise
    finally:
        b.stop()
        a.stop()


@pytest.fixture
def phoenix(node_path: str) -> Iterator[PhoenixClient]:
    client = PhoenixClient(node_path)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def shop_users() -> Iterator[list[ShopUser]]:
    """Closes the HTTP clients a test logs in (append them)."""
    users: list[ShopUser] = []
    try:
        yield users
    finally:
        for user in users:
            user.close()


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
    page.goto(node.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(node.url + "/")
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
