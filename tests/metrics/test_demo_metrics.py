"""`/metrics` and `liveui stats` on a real demo process: who may read them, and that the figures
follow what happens (a socket joins and leaves, a commit is recounted and broadcast)."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families

from demo.process import DemoProcess
from tests.support.demo_http import new_logged_in_client, post_form

SECRET = "demo-metrics-test-secret-of-32-characters"
METRICS_TOKEN = "scraper-token-for-the-metrics-test"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoProcess]:
    server = DemoProcess(
        tmp_path_factory.mktemp("demo-metrics"),
        secret_key=SECRET,
        env={"LIVEUI_METRICS_TOKEN": METRICS_TOKEN},
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def figures(demo: DemoProcess) -> dict[str, float]:
    """Every sample as `name{label=value,...}` -> value."""
    response = httpx.get(
        demo.url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
    )
    assert response.status_code == 200, response.text[:200]
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            out[f"{sample.name}{{{labels}}}"] = sample.value
    return out


async def wait_for_figures(
    demo: DemoProcess, check: Callable[[dict[str, float]], bool], timeout: float = 10.0
) -> dict[str, float]:
    deadline = time.monotonic() + timeout
    while True:
        seen = await asyncio.to_thread(figures, demo)
        if check(seen):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"figures never matched; last: {seen}")
        await asyncio.sleep(0.05)


def test_metrics_are_for_operators_only(demo: DemoProcess) -> None:
    assert httpx.get(demo.url + "/metrics").status_code == 403
    wrong = httpx.get(demo.url + "/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    alice = new_logged_in_client(demo.url, "alice")
    assert alice.get("/metrics").status_code == 403  # not an admin
    admin = new_logged_in_client(demo.url, "admin").get("/metrics")
    assert admin.status_code == 200
    assert admin.headers["content-type"].startswith("text/plain")
    assert "liveui_pubsub_up 1.0" in admin.text
    assert "process_resident_memory_bytes" in admin.text
    assert httpx.post(demo.url + "/metrics").status_code == 405


async def test_a_socket_is_counted_while_open_and_its_close_after(demo: DemoProcess) -> None:
    joined = "liveui_channels_joined{topic_class=user}"
    open_sockets = "liveui_connections{transport=socket_websocket}"
    client_closes = "liveui_socket_closes_total{code=client}"
    before = figures(demo)
    token, user_id = demo.token("bob")
    url = f"{demo.socket_url}/websocket?vsn=2.0.0&token={token}"
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps(["1", "1", f"user:{user_id}", "phx_join", {}]))
        reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert reply[3] == "phx_reply" and reply[4]["status"] == "ok", reply
        seen = await wait_for_figures(demo, lambda f: f.get(joined, 0) >= 1)
        assert seen[open_sockets] >= 1
        assert seen["liveui_socket_connections_accepted_total{}"] >= (
            before.get("liveui_socket_connections_accepted_total{}", 0) + 1
        )
    after = await wait_for_figures(demo, lambda f: f.get(joined, 0) == before.get(joined, 0))
    assert after.get(open_sockets, 0) == before.get(open_sockets, 0)
    assert after[client_closes] == before.get(client_closes, 0) + 1


async def test_a_commit_is_counted_as_a_recount_and_broadcasts(demo: DemoProcess) -> None:
    before = figures(demo)
    alice = new_logged_in_client(demo.url, "alice")
    placed = post_form(alice, "/orders/place", page="/orders")
    assert placed.status_code in (200, 303), placed.text[:200]
    recounts = "liveui_recounts_total{}"
    user_broadcasts = "liveui_broadcasts_total{topic_class=user}"
    seen = await wait_for_figures(
        demo,
        lambda f: f[recounts] > before[recounts]
        and f.get(user_broadcasts, 0) > before.get(user_broadcasts, 0),
    )
    assert seen["liveui_recount_seconds_count{}"] == seen[recounts]
    assert seen["liveui_recount_seconds_sum{}"] > 0
    assert seen["liveui_recount_failures_total{}"] == 0


def test_liveui_stats_prints_the_figures(demo: DemoProcess) -> None:
    url = demo.url + "/metrics"
    done = subprocess.run(
        [sys.executable, "-m", "liveui.cli", "stats", "--url", url, "--token", METRICS_TOKEN],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"liveui stats  {url}"
    assert any(re.fullmatch(r"pubsub up\s+1", line) for line in lines), done.stdout
    assert any(re.fullmatch(r"live sessions\s+\d+", line) for line in lines), done.stdout
    assert any(line.startswith("recount seconds") for line in lines), done.stdout
    assert any(re.fullmatch(r"  resident memory\s+[\d.]+ MB", line) for line in lines)
    refused = subprocess.run(
        [sys.executable, "-m", "liveui.cli", "stats", "--url", url],
        capture_output=True, text=True, timeout=60,
    )
    assert refused.returncode == 2
    assert "403" in refused.stderr
