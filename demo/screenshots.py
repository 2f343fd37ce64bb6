"""`python -m demo.screenshots` (`make screenshots`): the README walkthrough's pictures.

Starts the demo (`python -m demo`) on a free port with a fresh data directory, walks through the
README's steps in Chromium (alice in two tabs, admin in another window) and saves 1280x800 PNGs
into docs/images/. Two windows side by side are two 636 px wide pages put next to each other.
"""

from __future__ import annotations

import argparse
import base64
import re
import secrets
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from liveui.testing import CHROMIUM_ARGS

from .process import DemoProcess

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images"
SIZE = {"width": 1280, "height": 800}
HALF = {"width": 636, "height": 760}  # one of two windows side by side, under a caption
HIGHLIGHT = "el => { el.style.outline = '3px solid #f59e0b'; el.style.outlineOffset = '2px'; }"
MARK_ROW = "el => { el.style.background = '#fef3c7'; }"


def add_pending_order(demo: DemoProcess, username: str, item: str) -> None:
    """Change the data behind the server's back (it is stopped)."""
    with closing(sqlite3.connect(demo.data_dir / "demo.db", timeout=10)) as db, db:
        db.execute(
            "INSERT INTO orders (user_id, item, amount_cents, status, inserted_at)"
            " SELECT id, ?, 4900, 'pending', CURRENT_TIMESTAMP FROM users WHERE username = ?",
            (item, username),
        )


class Walkthrough:
    def __init__(self, browser: Browser, demo: DemoProcess, out: Path) -> None:
        self.browser, self.demo, self.out = browser, demo, out
        self.contexts: list[BrowserContext] = []

    def window(self, viewport: dict[str, int] = HALF) -> BrowserContext:
        context = self.browser.new_context(  # type: ignore[arg-type]
            base_url=self.demo.url, viewport=viewport, bypass_csp=True  # it waits with eval
        )
        self.contexts.append(context)
        return context

    def log_in(self, context: BrowserContext, username: str, shot: str | None = None) -> Page:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill("demo")
        if shot:
            self.save(page, shot)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        live(page)
        return page

    def save(self, page: Page, name: str) -> None:
        path = self.out / name
        page.screenshot(path=str(path))
        print(f"  {path}  {path.stat().st_size // 1024} KB")

    def side_by_side(self, name: str, *windows: tuple[str, Page]) -> None:
        """Windows next to each other, each under a caption, as one 1280x800 picture."""
        images = [(caption, base64.b64encode(page.screenshot()).decode()) for caption, page in
                  windows]
        cells = "".join(
            f'<figure><figcaption>{caption}</figcaption><img src="data:image/png;base64,{data}">'
            "</figure>"
            for caption, data in images
        )
        sheet = self.window(SIZE).new_page()
        sheet.set_content(
            "<style>body{margin:0;display:flex;gap:8px;background:#1f2937;font:600 15px"
            " system-ui,sans-serif}figure{margin:0}figcaption{color:#f9fafb;height:40px;"
            "line-height:40px;padding-left:12px}img{display:block}</style>" + cells
        )
        self.save(sheet, name)
        sheet.close()

    def run(self) -> None:
        alice = self.window()
        admin = self.window()
        alice_orders = self.log_in(self.window(SIZE), "alice", "01-login.png")
        alice_orders.context.close()

        # 2. alice places an order; her other tab and admin's window follow.
        alice_orders = self.log_in(alice, "alice")
        alice_orders.goto("/orders")
        live(alice_orders)
        admin_home = self.log_in(admin, "admin")
        before = int(badge_text(admin_home, "admin_pending_orders"))
        alice_orders.get_by_role("button", name="Place order").click()
        flash = alice_orders.locator(".flash")
        expect(flash).to_contain_text("placed")
        match = re.search(r"#(\d+)", flash.inner_text())
        assert match, flash.inner_text()
        order_id = match.group(1)
        expect(admin_home.locator('[data-counter="admin_pending_orders"]').first).to_have_text(
            str(before + 1)
        )
        highlight(alice_orders, '[data-counter="pending_orders"]')
        highlight(admin_home, '[data-counter="admin_pending_orders"]')
        self.side_by_side(
            "02-two-windows-badges.png",
            ("alice: presses Place order", alice_orders),
            ("admin: the badges moved by themselves", admin_home),
        )

        # 3. admin completes it on /admin.
        alice_home = alice.new_page()
        alice_home.goto("/")
        live(alice_home)
        unread = int(badge_text(alice_home, "unread_notifications"))
        admin_page = self.log_in(self.window(SIZE), "admin")
        admin_page.goto("/admin")
        row = admin_page.locator(f'tr[data-order-id="{order_id}"]')
        row.locator("td").evaluate_all(f"cells => cells.forEach({MARK_ROW})")
        row.get_by_role("button", name="Complete").hover()
        self.save(admin_page, "03-admin-complete.png")
        row.get_by_role("button", name="Complete").click()
        expect(admin_page.locator(".flash")).to_contain_text("completed")

        # 4. alice's bell rings in both tabs.
        for page in (alice_home, alice_orders):
            expect(page.locator("#liveui-notifications-count")).to_have_text(str(unread + 1))
        alice_home.close()
        alice_big = self.window(SIZE)
        bell_page = self.log_in(alice_big, "alice")
        open_bell(bell_page)
        newest = bell_page.locator("[data-notification-id]").first
        expect(newest).to_contain_text(f"Order #{order_id} completed")
        highlight(bell_page, "#liveui-notifications-count")
        self.save(bell_page, "04-bell.png")

        # 5. mark it read in one tab; the other follows.
        tab_a, tab_b = alice_big.new_page(), alice_big.new_page()
        for tab in (tab_a, tab_b):
            tab.set_viewport_size(HALF)  # type: ignore[arg-type]
            tab.goto("/")
            live(tab)
            open_bell(tab)
        item = f'[data-notification-id="{newest.get_attribute("data-notification-id")}"]'
        tab_a.locator(item).get_by_role("button", name="Mark as read").click()
        expect(tab_b.locator(item)).not_to_have_attribute("data-unread", "")
        expect(tab_b.locator("#liveui-notifications-count")).to_have_text(str(unread))
        highlight(tab_b, "#liveui-notifications-count")
        self.side_by_side(
            "05-mark-read-two-tabs.png",
            ("alice, tab 1: Mark as read", tab_a),
            ("alice, tab 2: followed without a reload", tab_b),
        )

        # 6. the React SPA shows the same counters, live.
        spa = alice_big.new_page()
        spa.goto("/spa")
        expect(spa.locator("[data-connection]")).to_have_attribute("data-connection", "connected")
        pending = int(badge_text(spa, "pending_orders"))
        alice_orders.get_by_role("button", name="Place order").click()
        expect(spa.locator('[data-counter="pending_orders"]')).to_have_text(str(pending + 1))
        highlight(spa, '[data-counter="pending_orders"]')
        self.save(spa, "06-spa.png")

        # 7. stop the server, change the data, start it: the open page catches up.
        home = alice_big.new_page()
        home.goto("/")
        live(home)
        pending = int(badge_text(home, "pending_orders"))
        self.demo.stop()
        add_pending_order(self.demo, "alice", "Ordered while the server was down")
        self.demo.start()
        expect(home.locator('[data-counter="pending_orders"]').first).to_have_text(
            str(pending + 1), timeout=20_000
        )
        highlight(home, '[data-counter="pending_orders"]')
        home.set_viewport_size({"width": SIZE["width"], "height": HALF["height"]})
        self.side_by_side(
            "07-after-restart.png",
            ("The server was stopped, an order was added to the database, the server was started:"
             " the open page caught up without a reload", home),
        )

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def live(page: Page) -> None:
    """Wait until the page's live connection delivered its first patch."""
    page.wait_for_function("window.liveui && window.liveui.lastEventId() !== null")


def badge_text(page: Page, counter: str) -> str:
    return page.locator(f'[data-counter="{counter}"]').first.inner_text().strip() or "0"


def highlight(page: Page, selector: str) -> None:
    page.locator(selector).evaluate_all(f"els => els.forEach({HIGHLIGHT})")


def open_bell(page: Page) -> None:
    bell = page.get_by_role("button", name="Notifications", exact=True)
    bell.click()
    expect(bell).to_have_attribute("aria-expanded", "true")


@contextmanager
def running_demo(transport: str) -> Iterator[DemoProcess]:
    with tempfile.TemporaryDirectory(prefix="liveui-screenshots-") as data_dir:
        secret = "screenshots-" + secrets.token_hex(16)  # liveui refuses short secrets
        demo = DemoProcess(Path(data_dir), secret_key=secret, transport=transport)
        demo.start()
        try:
            yield demo
        finally:
            demo.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.screenshots", description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--transport", choices=("ws", "sse"), default="ws")
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium")
    if chromium is None:
        print("Debian's chromium is needed: `make chromium` installs it", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with running_demo(args.transport) as demo, sync_playwright() as playwright:
        print(f"demo on {demo.url}; writing {args.out}")
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        walkthrough = Walkthrough(browser, demo, args.out.resolve())
        try:
            walkthrough.run()
        finally:
            walkthrough.close()
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
