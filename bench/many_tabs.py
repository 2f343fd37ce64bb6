"""Many tabs of one browser: what a person sees with N tabs of the demo open in one Chromium.

    python -m bench.many_tabs --transport ws|sse [--tabs 30]

Starts the demo (`python -m demo`, fresh data directory) on the given live transport, logs
alice in, and opens N tabs of /orders one after another in one browser context (one profile,
so one pool of six HTTP/1.1 connections per host). Per tab: the page load (`goto` until the
load event) and the time until its live connection is open. Then three "Place order" actions
from the first, middle and last tab: the action's answer and the time until every tab shows the
new order. A tab that cannot load within 10 s ends the run (that is the seventh-tab freeze of a
transport holding one connection per tab). The demo server's RSS and CPU seconds are read from
/proc before the tabs open and after, and printed per tab.

Prints, last lines:
    transport=<t> tabs=<n> loaded=<k> load_ms_p50=<a> load_ms_max=<b> live_ms_max=<c>
    action_ms_max=<d> reach_ms_max=<e> server_kb_per_tab=<f> server_cpu_ms_per_tab=<g>
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from bench.measure import cpu_seconds, percentile, rss_kb
from demo.process import DemoProcess

SECRET = "bench-many-tabs-secret-key-32-characters"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
LIVE_OPEN = """() => { const l = window.liveui;
  const c = l && (l.config.transport === 'ws' ? l.socket : l.source);
  return !!c && c.readyState === 1; }"""


def wait(condition: object, timeout: float) -> float:
    """Seconds until `condition()` held; raises TimeoutError after `timeout`."""
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        if time.monotonic() - started > timeout:
            raise TimeoutError
        time.sleep(0.01)
    return time.monotonic() - started


def newest_order(page: Page) -> str | None:
    value = page.evaluate("() => document.querySelector('tr[data-order-id]')?.dataset.orderId")
    return None if value is None else str(value)


def all_show(tabs: list[Page], order_id: str | None) -> float:
    """Seconds until every tab's table starts with `order_id`."""
    started = time.monotonic()
    for tab in tabs:
        wait(lambda t=tab: newest_order(t) == order_id, 10)
    return time.monotonic() - started


def ms(seconds: list[float], q: float) -> str:
    return f"{percentile(seconds, q) * 1000:.0f}" if seconds else "-"


def run(transport: str, count: int) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("Debian's chromium is needed: apt-get install chromium")
    with tempfile.TemporaryDirectory() as data, sync_playwright() as playwright:
        demo = DemoProcess(Path(data), secret_key=SECRET, transport=transport, name="bench")
        demo.start()
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=demo.url)
            login = context.new_page()
            login.goto("/login")
            login.get_by_label("Username").fill("alice")
            login.get_by_label("Password").fill("demo")
            login.get_by_role("button", name="Log in").click()
            login.wait_for_url(demo.url + "/")
            login.close()
            pid = demo.process.pid if demo.process else 0
            rss_before, cpu_before = rss_kb(pid), cpu_seconds(pid)
            tabs: list[Page] = []
            loads: list[float] = []
            lives: list[float] = []
            for _ in range(count):
                page = context.new_page()
                started = time.monotonic()
                try:
                    page.goto("/orders", timeout=10_000)
                except PlaywrightTimeout:
                    print(f"tab {len(tabs) + 1}: no page load within 10 s")
                    break
                loads.append(time.monotonic() - started)
                lives.append(loads[-1] + wait(lambda p=page: p.evaluate(LIVE_OPEN), 10))
                tabs.append(page)
            rss_after, cpu_after = rss_kb(pid), cpu_seconds(pid)
            actions: list[float] = []
            reaches: list[float] = []
            if len(tabs) == count:
                for placing in (tabs[0], tabs[count // 2], tabs[-1]):
                    before = newest_order(placing)
                    started = time.monotonic()
                    with placing.expect_response(lambda r: "/liveui/event" in r.url):
                        placing.get_by_role("button", name="Place order").click()
                    actions.append(time.monotonic() - started)
                    placed = wait(lambda p=placing, b=before: newest_order(p) != b, 10)
                    reaches.append(actions[-1] + placed + all_show(tabs, newest_order(placing)))
        finally:
            browser.close()
            demo.stop()
    print(f"transport={transport} tabs={count} loaded={len(tabs)} load_ms_p50={ms(loads, 0.5)} "
          f"load_ms_max={ms(loads, 1)} live_ms_max={ms(lives, 1)}")
    per_tab = max(len(tabs), 1)
    print(f"action_ms_max={ms(actions, 1)} reach_ms_max={ms(reaches, 1)} "
          f"server_kb_per_tab={(rss_after - rss_before) / per_tab:.1f} "
          f"server_cpu_ms_per_tab={(cpu_after - cpu_before) * 1000 / per_tab:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--transport", choices=["ws", "sse"], default="ws")
    parser.add_argument("--tabs", type=int, default=30)
    args = parser.parse_args()
    run(args.transport, args.tabs)


if __name__ == "__main__":
    main()
