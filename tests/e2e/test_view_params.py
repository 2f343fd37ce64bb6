"""The person drives the view, in Chromium over both transports: filters, search and sort of the
order tables and the admin chart's range live in the URL and on the server at once.

The contract: `/orders` and `/admin/orders` show one live table whose rows carry
`data-order-id`, `data-status` and `data-amount-cents`; controls `select[name=status]`,
`input[name=q]` and header links `a[data-sort]`; the URL query uses the same names
(`?status=pending&q=desk&sort=-amount`). Changing a control does not reload the document,
back/forward and typed-in URLs show their view, and every tab ends equal to the SQL of its own
view while others change rows. One demo server per transport; the restart test runs last.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.live_pages import not_reloaded, open_live
from tests.e2e.login_form import BOTH_TRANSPORTS, log_in_through_the_form, logged_in_context
from tests.e2e.walkthrough_server import DemoServer
from tests.support.waiting import block_until

pytestmark = [pytest.mark.e2e, BOTH_TRANSPORTS]

LIVE = 2.0  # s: a tab equals the SQL of its view within this
RECONNECT = 20.0  # s: the browser's reconnect back-off after a restart
ORDER_COLUMNS = {"inserted": "id", "amount": "amount_cents"}
ITEMS = [  # alice's orders of this module: (item, cents, status)
    ("Oak desk lamp", 1200, "pending"),
    ("Desk mat", 2500, "completed"),
    ("Standing DESK XL", 60000, "pending"),
    ("Cable tray", 1500, "cancelled"),
    ("Walnut desk organiser", 4200, "pending"),
    ("Monitor arm", 9900, "pending"),
]


@pytest.fixture(scope="module")
def seeded(demo: DemoServer) -> DemoServer:
    """Orders with known items and amounts for alice and bob (bob's match alice's searches)."""
    for user in ("alice", "bob"):
        uid = demo.user_id(user)
        for item, cents, status in ITEMS:
            demo.query(
                "INSERT INTO orders (user_id, item, amount_cents, status, inserted_at)"
                " VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)",
                uid, f"{item} ({user})" if user == "bob" else item, cents, status,
            )
    return demo


@pytest.fixture(scope="module")
def alice(browser: Browser, seeded: DemoServer) -> Iterator[BrowserContext]:
    context = logged_in_context(browser, seeded.url, "alice")
    yield context
    context.close()


@pytest.fixture(scope="module")
def admin(browser: Browser, seeded: DemoServer) -> Iterator[BrowserContext]:
    context = logged_in_context(browser, seeded.url, "admin")
    yield context
    context.close()


@pytest.fixture(scope="module")
def bob(browser: Browser, seeded: DemoServer) -> Iterator[BrowserContext]:
    context = logged_in_context(browser, seeded.url, "bob")
    yield context
    context.close()




def view_of(page: Page) -> dict[str, str]:
    query = parse_qs(urlsplit(page.url).query)
    return {k: v[0] for k, v in query.items()}


def expected_ids(demo: DemoServer, view: dict[str, str], *, user: str | None,
                 limit: int) -> list[int]:
    """The SQL of a view: what the table must show."""
    where, args = [], []
    if user is not None:
        where.append("o.user_id = ?")
        args.append(demo.user_id(user))
    status = view.get("status", "all")
    if status != "all":
        where.append("o.status = ?")
        args.append(status)
    q = view.get("q", "").strip().lower()
    if q:
        if user is None:
            where.append("(lower(o.item) LIKE ? OR lower(u.username) LIKE ?)")
            args += [f"%{q}%", f"%{q}%"]
        else:
            where.append("lower(o.item) LIKE ?")
            args.append(f"%{q}%")
    sort = view.get("sort", "-inserted")
    direction = "DESC" if sort.startswith("-") else "ASC"
    column = ORDER_COLUMNS[sort.lstrip("-")]
    sql = (f"SELECT o.id FROM orders o JOIN users u ON u.id = o.user_id"
           f"{' WHERE ' + ' AND '.join(where) if where else ''}"
           f" ORDER BY o.{column} {direction}, o.id {direction} LIMIT {limit}")
    return [int(str(row[0])) for row in demo.query(sql, *args)]


def shown_ids(page: Page) -> list[int]:
    ids: list[str] = page.eval_on_selector_all(
        "tr[data-order-id]", "rows => rows.map(r => r.dataset.orderId)")
    return [int(i) for i in ids]


def equals_its_sql(demo: DemoServer, page: Page, *, user: str | None, limit: int,
                   timeout: float = LIVE) -> None:
    """The table shows exactly the rows of the SQL of the view in its URL, in order."""
    def same() -> bool:
        return shown_ids(page) == expected_ids(demo, view_of(page), user=user, limit=limit)

    block_until(same, timeout=timeout, what=f"{page.url} shows {shown_ids(page)}, its SQL "
                f"{expected_ids(demo, view_of(page), user=user, limit=limit)}")


def test_controls_change_the_view_without_a_reload_and_back_returns(
    seeded: DemoServer, alice: BrowserContext
) -> None:
    page = open_live(alice, "/orders")
    equals_its_sql(seeded, page, user="alice", limit=20)

    page.select_option("select[name=status]", "pending")
    expect(page).to_have_url(f"{seeded.url}/orders?status=pending")
    equals_its_sql(seeded, page, user="alice", limit=20)
    assert all(s == "pending" for s in page.eval_on_selector_all(
        "tr[data-order-id]", "rows => rows.map(r => r.dataset.status)"))

    page.locator("input[name=q]").press_sequentially("desk", delay=40)
    expect(page).to_have_url(f"{seeded.url}/orders?status=pending&q=desk")
    equals_its_sql(seeded, page, user="alice", limit=20)
    assert len(shown_ids(page)) == 3  # "desk" in any case, pending: lamp, XL, organiser

    page.locator('a[data-sort="amount"]').click()
    expect(page).to_have_url(f"{seeded.url}/orders?status=pending&q=desk&sort=amount")
    equals_its_sql(seeded, page, user="alice", limit=20)
    page.locator('a[data-sort="amount"]').click()
    expect(page).to_have_url(f"{seeded.url}/orders?status=pending&q=desk&sort=-amount")
    equals_its_sql(seeded, page, user="alice", limit=20)
    amounts = [int(a) for a in page.eval_on_selector_all(
        "tr[data-order-id]", "rows => rows.map(r => r.dataset.amountCents)")]
    assert amounts == sorted(amounts, reverse=True) and len(amounts) == 3
    assert not_reloaded(page)

    page.go_back()
    expect(page).to_have_url(f"{seeded.url}/orders?status=pending&q=desk&sort=amount")
    equals_its_sql(seeded, page, user="alice", limit=20)
    page.go_back()
    expect(page).to_have_url(f"{seeded.url}/orders?status=pending&q=desk")
    equals_its_sql(seeded, page, user="alice", limit=20)
    page.go_back()
    expect(page).to_have_url(f"{seeded.url}/orders?status=pending")
    expect(page.locator("input[name=q]")).to_have_value("")
    equals_its_sql(seeded, page, user="alice", limit=20)
    page.go_forward()
    expect(page).to_have_url(f"{seeded.url}/orders?status=pending&q=desk")
    expect(page.locator("input[name=q]")).to_have_value("desk")
    equals_its_sql(seeded, page, user="alice", limit=20)
    assert not_reloaded(page)

    # A reload renders the view in the URL on first paint.
    page.reload()
    expect(page.locator("select[name=status]")).to_have_value("pending")
    expect(page.locator("input[name=q]")).to_have_value("desk")
    equals_its_sql(seeded, page, user="alice", limit=20)
    page.close()


def test_a_typed_in_url_renders_its_view_on_first_paint(
    seeded: DemoServer, alice: BrowserContext, admin: BrowserContext
) -> None:
    page = alice.new_page()
    page.route("**/liveui/**", lambda route: route.abort())  # no live connection: first paint only
    page.goto("/orders?status=pending&q=desk&sort=-amount")
    expect(page.locator("select[name=status]")).to_have_value("pending")
    expect(page.locator("input[name=q]")).to_have_value("desk")
    assert shown_ids(page) == expected_ids(
        seeded, {"status": "pending", "q": "desk", "sort": "-amount"}, user="alice", limit=20)
    page.close()

    chart = admin.new_page()
    chart.route("**/liveui/**", lambda route: route.abort())
    chart.goto("/admin?range=7d")
    expect(chart.locator("select[name=range]")).to_have_value("7d")
    expect(chart.locator('svg[data-chart="orders_per_minute"]')).to_have_attribute(
        "data-buckets", "7")
    chart.close()

    shared = admin.new_page()
    shared.goto("/admin/orders?q=BOB&sort=amount")  # the customer's username matches too
    ids = shown_ids(shared)
    assert ids == expected_ids(seeded, {"q": "bob", "sort": "amount"}, user=None, limit=50)
    assert len(ids) >= len(ITEMS)
    shared.close()


def test_two_tabs_of_one_user_follow_their_own_views_while_others_change_rows(
    seeded: DemoServer, alice: BrowserContext, admin: BrowserContext, bob: BrowserContext
) -> None:
    pending_by_amount = open_live(alice, "/orders?status=pending&sort=-amount")
    desk_any_status = open_live(alice, "/orders?q=desk&sort=inserted")
    everyone = open_live(admin, "/admin/orders?status=pending&q=alice")
    admin_page = open_live(admin, "/admin")
    bob_orders = open_live(bob, "/orders")
    tabs = [(pending_by_amount, "alice", 20), (desk_any_status, "alice", 20),
            (everyone, None, 50)]
    for page, user, limit in tabs:
        equals_its_sql(seeded, page, user=user, limit=limit)

    # A third party (the admin) completes alice's pending desk order: it leaves the pending
    # tabs and changes status in place in the "desk" tab.
    alice_id = seeded.user_id("alice")
    lamp = int(str(seeded.query(
        "SELECT id FROM orders WHERE user_id = ? AND item = 'Oak desk lamp'", alice_id)[0][0]))
    admin_page.locator(f'tr[data-order-id="{lamp}"]').get_by_role(
        "button", name="Complete").click()
    for page, user, limit in tabs:
        equals_its_sql(seeded, page, user=user, limit=limit)
    expect(desk_any_status.locator(f'tr[data-order-id="{lamp}"]')).to_have_attribute(
        "data-status", "completed")

    # Alice places orders in a third tab; bob places some too: his never reach her tabs.
    third = open_live(alice, "/orders")
    for _ in range(3):
        third.get_by_role("button", name="Place order").click()
        expect(third.locator(".flash")).to_contain_text("placed")
        bob_orders.get_by_role("button", name="Place order").click()
        expect(bob_orders.locator(".flash")).to_contain_text("placed")
    for page, user, limit in tabs:
        equals_its_sql(seeded, page, user=user, limit=limit)
    bob_id = seeded.user_id("bob")
    bobs = {int(str(r[0])) for r in seeded.query("SELECT id FROM orders WHERE user_id = ?",
                                                  bob_id)}
    for page in (pending_by_amount, desk_any_status, third):
        assert not bobs & set(shown_ids(page))

    # Alice cancels her newest pending order in the first tab: it leaves that tab.
    newest = shown_ids(third)[0]
    row = third.locator(f'tr[data-order-id="{newest}"]')
    row.get_by_role("button", name="Cancel").click()
    expect(row).to_have_attribute("data-status", "cancelled", timeout=LIVE * 1000)
    for page, user, limit in tabs:
        equals_its_sql(seeded, page, user=user, limit=limit)
    assert not_reloaded(*(page for page, _, _ in tabs))
    for page in (pending_by_amount, desk_any_status, everyone, admin_page, bob_orders, third):
        page.close()


def test_forged_and_out_of_range_params_fall_back_or_are_refused(
    seeded: DemoServer, alice: BrowserContext
) -> None:
    page = open_live(alice, "/orders")
    request = page.request
    for query in ("status=bogus&sort=evil", "status=pending'--&q=" + "x" * 5000,
                  "status=&sort=-&q=%00", "status=all&status=pending&sort=password"):
        answer = request.get(f"/orders?{query}")
        assert answer.status == 200, query
    forged = page.context.new_page()
    forged.goto("/orders?status=bogus&sort=-evil&q=" + "x" * 500)
    expect(forged.locator("select[name=status]")).to_have_value("all")  # the defaults
    expect(forged.locator("input[name=q]")).to_have_value("")
    assert shown_ids(forged) == expected_ids(seeded, {}, user="alice", limit=20)
    forged.close()
    # Another user's rows never appear, whatever the view asks for.
    page.goto("/orders?q=bob")
    assert shown_ids(page) == []
    assert request.get("/admin/orders").status == 403

    # The live view change: cleaned (200 with the defaults), malformed (400), not this
    # page's component (409), without the tab's token (403). Never a 5xx.
    page = open_live(alice, "/orders")
    token = page.evaluate("window.liveui.config.token")
    table = page.locator("[data-live-view]").get_attribute("id")

    def change(view: str, component: str | None = table, token: str | None = token) -> int:
        headers = {"X-LiveUI-Token": token} if token else {}
        answer = request.post("/liveui/event", headers=headers, form={
            "event": "view", "component": component or "", "view": view})
        return answer.status

    answer = request.post("/liveui/event", headers={"X-LiveUI-Token": token}, form={
        "event": "view", "component": table or "", "view": json.dumps(
            {"status": "nope", "sort": "-amount", "q": 7, "user_id": "2"})})
    assert answer.status == 200
    assert answer.json() == {"view": {"status": "all", "q": "", "sort": "-amount", "pages": "1"},
                             "query": "sort=-amount"}
    assert change("[") == 400
    assert change("[1, 2]") == 400
    assert change("{}", component="live-all_orders") == 409
    assert change("{}", token=None) == 403
    assert change("{}", token="forged") == 403
    page.close()


def test_the_admin_chart_follows_its_range(seeded: DemoServer, admin: BrowserContext) -> None:
    page = open_live(admin, "/admin")
    chart = page.locator('svg[data-chart="orders_per_minute"]')
    expect(chart).to_have_attribute("data-buckets", "30")
    page.select_option("select[name=range]", "24h")
    expect(page).to_have_url(f"{seeded.url}/admin?range=24h")
    expect(chart).to_have_attribute("data-buckets", "24")
    total = int(str(seeded.query(
        "SELECT count(*) FROM orders WHERE inserted_at >= datetime('now', '-1 day')")[0][0]))
    assert int(chart.get_attribute("data-total") or "-1") >= min(total, 1)
    marks = chart.locator("rect, circle[data-count]")
    assert marks.count() > 0
    for i in range(marks.count()):
        mark = marks.nth(i)
        count = mark.get_attribute("data-count")
        assert count is not None and count in (mark.locator("title").text_content() or "")
    assert chart.locator("text").count() > 0  # tick labels
    page.select_option("select[name=range]", "7d")
    expect(page).to_have_url(f"{seeded.url}/admin?range=7d")
    expect(chart).to_have_attribute("data-buckets", "7")
    page.go_back()
    expect(page).to_have_url(f"{seeded.url}/admin?range=24h")
    expect(chart).to_have_attribute("data-buckets", "24")
    expect(page.locator("select[name=range]")).to_have_value("24h")
    assert not_reloaded(page)
    page.close()


def test_load_more_is_a_page_in_the_url(
    browser: Browser, seeded: DemoServer
) -> None:
    carol = seeded.user_id("carol")
    for n in range(25):
        seeded.query(
            "INSERT INTO orders (user_id, item, amount_cents, status, inserted_at)"
            " VALUES (?, ?, ?, 'pending', CURRENT_TIMESTAMP)", carol, f"Bulk item {n}", 100 + n)
    context = logged_in_context(browser, seeded.url, "carol")
    try:
        page = open_live(context, "/orders?status=pending")
        equals_its_sql(seeded, page, user="carol", limit=20)
        page.get_by_role("link", name="Load more").click()
        expect(page).to_have_url(f"{seeded.url}/orders?status=pending&pages=2")
        equals_its_sql(seeded, page, user="carol", limit=40)
        assert len(shown_ids(page)) == 25
        expect(page.get_by_role("link", name="Load more")).to_be_hidden()
        page.locator('a[data-sort="amount"]').click()  # a new order: the first page again
        expect(page).to_have_url(f"{seeded.url}/orders?status=pending&sort=amount")
        equals_its_sql(seeded, page, user="carol", limit=20)
        page.go_back()
        expect(page).to_have_url(f"{seeded.url}/orders?status=pending&pages=2")
        equals_its_sql(seeded, page, user="carol", limit=40)
        assert not_reloaded(page)
        page.reload()
        equals_its_sql(seeded, page, user="carol", limit=40)
    finally:
        context.close()


def test_without_javascript_the_controls_are_a_get_form(
    browser: Browser, seeded: DemoServer
) -> None:
    context = browser.new_context(base_url=seeded.url, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in_through_the_form(page, seeded.url, "alice")
        page.goto("/orders")
        page.select_option("select[name=status]", "pending")
        page.locator("input[name=q]").fill("desk")
        page.get_by_role("button", name="Filter").click()
        expect(page).to_have_url(f"{seeded.url}/orders?status=pending&q=desk&sort=-inserted")
        assert shown_ids(page) == expected_ids(seeded, view_of(page), user="alice", limit=20)
        page.locator('a[data-sort="amount"]').click()
        expect(page).to_have_url(f"{seeded.url}/orders?status=pending&q=desk&sort=amount")
        assert shown_ids(page) == expected_ids(seeded, view_of(page), user="alice", limit=20)
    finally:
        context.close()


def test_a_restart_keeps_each_tabs_view(
    seeded: DemoServer, alice: BrowserContext, admin: BrowserContext
) -> None:
    """Last: the server restarts; each tab's session is rebuilt from its page's spec."""
    pending = open_live(alice, "/orders?status=pending&sort=amount")
    cancelled = open_live(alice, "/orders?status=cancelled")
    for page in (pending, cancelled):
        equals_its_sql(seeded, page, user="alice", limit=20)
    alice_id = seeded.user_id("alice")
    seeded.stop()
    seeded.query(
        "INSERT INTO orders (user_id, item, amount_cents, status, inserted_at)"
        " VALUES (?, 'Placed while the server was down', 1, 'pending', CURRENT_TIMESTAMP)",
        alice_id,
    )
    seeded.start()
    for page in (pending, cancelled):
        equals_its_sql(seeded, page, user="alice", limit=20, timeout=RECONNECT)
    # Live again, in each tab's own view: a cancel moves a row from one tab to the other.
    first = shown_ids(pending)[0]
    admin_page = open_live(admin, "/admin")
    admin_page.locator(f'tr[data-order-id="{first}"]').get_by_role(
        "button", name="Cancel").click()
    expect(cancelled.locator(f'tr[data-order-id="{first}"]')).to_have_count(
        1, timeout=LIVE * 1000)
    for page in (pending, cancelled):
        equals_its_sql(seeded, page, user="alice", limit=20)
    assert not_reloaded(pending, cancelled)
    for page in (pending, cancelled, admin_page):
        page.close()
