"""Every tab converges to the database: two demo nodes on one fresh PostgreSQL database and one
pub/sub backend (a throwaway redis-server, or LISTEN/NOTIFY), eight browser tabs of four users
spread over both nodes, and a seeded random sequence of ~200 actions sent over HTTP to either
node from four threads, so the two nodes' recounts of the same counters interleave.

During the run node A restarts (its tabs reconnect by themselves, no reload) and the pub/sub
backend has an outage (redis-server stopped; or the nodes' LISTEN/NOTIFY role locked out and its
connections terminated). Once both nodes have recovered, a last batch of actions; within 5 s of
the last one every badge of every tab equals the database's count (SQL straight from the tables,
see `convergence.COUNTERS`), every KPI tile its aggregate (`convergence.AGGREGATES`: bob's
`my_spent` on /orders, the admin's `revenue` and `avg_order` on /admin, to the cent), every
notification dropdown agrees with the database: the bell, the listed notifications and each
one's read state; and every order table lists exactly the rows of the view its URL names (a
filter, a search, a sort per tab: see `TABS`).

The seed is printed; `LIVEUI_CONVERGENCE_SEED=<n>` replays the same plan (the threads'
interleaving still varies: that is the race this test is after).
"""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext

from tests.multinode.cluster import NodeLog, PubSubRole, ShopDatabase, ShopUser, SqlReader
from tests.multinode.convergence import Tab, Workload, converged_within, plan, read_truth
from tests.multinode.nodes import Cluster, running_cluster, shop_database
from tests.support.waiting import block_until

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

SEED_ENV = "LIVEUI_CONVERGENCE_SEED"
USERS = ("alice", "bob", "carol", "admin")
TABS = [  # user, node, path: every page shows the top bar's badges and the bell
    ("alice", "a", "/"),
    ("alice", "b", "/"),
    ("alice", "b", "/cart"),
    ("alice", "a", "/orders?status=pending&sort=-amount"),
    ("bob", "a", "/orders"),
    ("bob", "b", "/orders?status=cancelled&q=e&sort=amount"),
    ("admin", "b", "/admin/orders?status=pending&q=o"),
    ("bob", "b", "/"),
    ("carol", "a", "/tickets"),
    ("admin", "a", "/admin"),
    ("admin", "b", "/"),
]
CONVERGE_WITHIN = 5.0
RECOVERY = 30.0  # pub/sub reconnects back off up to 5 s (plus jitter); tabs up to their own


@dataclass
class PubSub:
    kind: str
    url: str
    transports: tuple[str, str]
    """LIVEUI_TRANSPORT of nodes A and B: each run covers both transports"""
    listener: str
    """how the nodes' logs name their subscriber connection"""
    cut: Callable[[], object]
    restore: Callable[[], object]


@pytest.fixture
def seed() -> int:
    chosen = os.environ.get(SEED_ENV)
    value = int(chosen) if chosen else random.SystemRandom().randrange(1_000_000)
    print(f"\nconvergence seed: {value} (replay with {SEED_ENV}={value})")
    return value


@pytest.fixture
def fresh_db(postgres_url: str) -> Iterator[ShopDatabase]:
    yield from shop_database(postgres_url)


@pytest.fixture(params=[pytest.param("redis", marks=pytest.mark.redis), "postgres"])
def pubsub(request: pytest.FixtureRequest, fresh_db: ShopDatabase) -> Iterator[PubSub]:
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")
        yield PubSub("redis", server.url, ("sse", "ws"), "Redis pub/sub", server.stop, server.start)
        return
    role = PubSubRole(fresh_db)
    role.create()

    def cut() -> None:
        terminated = role.cut()
        assert terminated >= 2, f"only {terminated} pub/sub connections to terminate"

    try:
        yield PubSub("postgres", role.url, ("ws", "sse"), "PostgreSQL LISTEN", cut, role.restore)
    finally:
        role.drop()


@pytest.fixture
def cluster(fresh_db: ShopDatabase, pubsub: PubSub, tmp_path: Path) -> Iterator[Cluster]:
    with running_cluster(fresh_db, pubsub.url, tmp_path, pubsub.transports) as running:
        yield running


@pytest.fixture
def sql(fresh_db: ShopDatabase) -> Iterator[SqlReader]:
    reader = SqlReader(fresh_db.url)
    try:
        yield reader
    finally:
        reader.close()


@pytest.fixture
def clients(cluster: Cluster) -> Iterator[dict[str, dict[str, ShopUser]]]:
    """A logged-in HTTP client per user and node: clients[user]["a" | "b"]."""
    made: dict[str, dict[str, ShopUser]] = {}
    try:
        for user in USERS:
            made[user] = {"a": ShopUser(cluster.a, user), "b": ShopUser(cluster.b, user)}
        yield made
    finally:
        for per_node in made.values():
            for client in per_node.values():
                client.close()


@pytest.fixture
def tabs(browser: Browser, cluster: Cluster, pubsub: PubSub) -> Iterator[list[Tab]]:
    """The tabs of `TABS`, one browser context (cookie jar) per user, each tab logged in and
    live. The session cookie is signed with the nodes' shared secret: valid on both."""
    contexts: dict[str, BrowserContext] = {}
    opened: list[Tab] = []
    try:
        for user, node_key, path in TABS:
            node = cluster.a if node_key == "a" else cluster.b
            fresh = user not in contexts
            if fresh:  # CSP bypassed for wait_for_function: see tests/conftest.py
                contexts[user] = browser.new_context(bypass_csp=True)
            page = contexts[user].new_page()
            if fresh:
                page.goto(node.url + "/login")
                page.fill("input[name=username]", user)
                page.fill("input[name=password]", "demo")
                page.click("button[type=submit]")
                page.wait_for_url(node.url + "/")
            if page.url != node.url + path:
                page.goto(node.url + path)
            transport = pubsub.transports[0 if node_key == "a" else 1]
            tab = Tab(user, node_key.upper(), transport, path, page)
            block_until(tab.connected, 15, f"tab {tab.label} to connect")
            page.evaluate("window.__sameDocument = true")  # gone if anything reloads the page
            opened.append(tab)
        yield opened
    finally:
        for context in contexts.values():
            context.close()


OUTAGE = re.compile(r"liveui: (.+?) unavailable \(")
RECOVERED = re.compile(r"liveui: (.+?) recovered after \d+ failed attempts")
RESYNC = re.compile(r"liveui: resync: \d+ live session")


def recovered(log: str, listener: str) -> bool:
    """Whether a node's log (since the outage began) shows that its subscriber connection
    went down, came back and resynced its live sessions, and that every other pub/sub
    connection it lost (publishing) came back too."""
    down: dict[str, int] = {}
    up: dict[str, int] = {}
    for pattern, seen in ((OUTAGE, down), (RECOVERED, up)):
        for found in pattern.finditer(log):
            seen[found.group(1)] = found.start()
    listeners = [what for what in down if what.startswith(listener)]
    if not listeners or any(up.get(what, -1) < at for what, at in down.items()):
        return False
    back = max(up[what] for what in listeners)
    return RESYNC.search(log, back) is not None


def test_every_tab_converges_to_the_database(
    cluster: Cluster,
    pubsub: PubSub,
    tabs: list[Tab],
    clients: dict[str, dict[str, ShopUser]],
    sql: SqlReader,
    seed: int,
) -> None:
    rng = random.Random(f"{seed}:{pubsub.kind}")
    user_ids = {user: cluster.db.user_id(user) for user in USERS}
    work = Workload(clients, user_ids, sql, seed)
    logs = [NodeLog(cluster.a), NodeLog(cluster.b)]

    work.run("warm-up", plan(rng, 45, USERS, "ab"))

    # Node A restarts: its tabs lose their connection and come back by themselves.
    cluster.a.stop()
    on_a = [tab for tab in tabs if tab.node == "A"]
    block_until(lambda: not any(tab.connected() for tab in on_a), 10, "node A's tabs to lose it")
    work.run("node A down", plan(rng, 15, USERS, "b"))
    cluster.a.start()
    work.run("node A back", plan(rng, 40, USERS, "ab"))

    # A pub/sub outage: nothing crosses between the nodes; both resync when it ends.
    for log in logs:
        log.mark()
    pubsub.cut()
    work.run("pub/sub down", plan(rng, 20, USERS, "ab"))
    pubsub.restore()
    for log, name in zip(logs, "AB", strict=True):
        block_until(
            lambda log=log: recovered(log.since_mark(), pubsub.listener),
            RECOVERY,
            f"node {name} to report the end of the {pubsub.kind} outage and resync",
        )
    for tab in tabs:
        block_until(tab.connected, RECOVERY, f"tab {tab.label} to reconnect by itself")

    work.run("final", plan(rng, 80, USERS, "ab"))
    last_action = time.monotonic()
    print(f"actions ({sum(work.done.values())}): {dict(sorted(work.done.items()))}")

    truth = read_truth(sql)
    try:
        agreed = converged_within(tabs, truth, last_action + CONVERGE_WITHIN)
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}\n(seed {seed}, pub/sub {pubsub.kind}; node A {pubsub.transports[0]}, "
            f"node B {pubsub.transports[1]}; replay with {SEED_ENV}={seed})"
        ) from None
    print(f"every tab agreed with the database {agreed - last_action:.2f}s after the last action")
