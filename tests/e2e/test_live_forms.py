"""The demo's "open a ticket" form, in Chromium, over both live transports: the subject checked
while typing, a live submit (Enter or the button) that adds the row without a page load, the
attachment's limits (size, type by content) explained next to the field, the upload's progress,
and the same form posted without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.login_form import BOTH_TRANSPORTS, log_in_through_the_form, logged_in_context
from tests.e2e.walkthrough_server import DemoServer

pytestmark = [pytest.mark.e2e, BOTH_TRANSPORTS]

CHECKED = 1_000  # ms: a field's message shows within this of typing or leaving it
LIVE = 3_000  # ms: a submit's answer and its new row
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
NON_EMPTY = re.compile(r"\S")


@pytest.fixture(scope="module")
def alice(browser: Browser, demo: DemoServer) -> Iterator[BrowserContext]:
    context = logged_in_context(browser, demo.url, "alice")
    yield context
    context.close()


def tickets(context: BrowserContext) -> Page:
    page = context.new_page()
    page.goto("/tickets")
    page.wait_for_function("window.liveui && window.liveui.lastEventId() !== null")
    page.evaluate("window.__notReloaded = true")
    return page


def tickets_with_subject(demo: DemoServer, subject: str) -> int:
    (count,) = demo.query("SELECT count(*) FROM tickets WHERE subject = ?", subject)[0]
    return int(str(count))


def test_a_short_subject_is_explained_while_typing_and_when_leaving(
    alice: BrowserContext,
) -> None:
    page = tickets(alice)
    subject = page.locator("input[name=subject]")
    error = page.locator('[data-error-for="subject"]')
    expect(error).to_be_hidden()
    subject.press_sequentially("ab")
    expect(error).to_have_text(NON_EMPTY, timeout=CHECKED)
    expect(error).to_be_visible()
    expect(error).to_contain_text("at least 3")
    expect(subject).to_have_attribute("aria-invalid", "true")
    subject.press_sequentially("c")
    expect(error).to_be_hidden(timeout=CHECKED)
    # Leaving a field checks it at once, without waiting for the typing pause.
    subject.fill("x")
    subject.blur()
    expect(error).to_have_text(NON_EMPTY, timeout=CHECKED)
    page.close()
    # An empty subject is shorter than 3 too: leaving the field says it is required.
    page = tickets(alice)
    page.locator("input[name=subject]").focus()
    page.locator("input[name=subject]").blur()
    expect(page.locator('[data-error-for="subject"]')).to_have_text(
        "Subject is required.", timeout=CHECKED)
    page.close()


def test_a_valid_subject_submits_live_with_enter_and_with_the_button(
    alice: BrowserContext, demo: DemoServer
) -> None:
    page = tickets(alice)
    subject = page.locator("input[name=subject]")
    subject.fill("Printer is out of toner")
    subject.press("Enter")
    row = page.locator("[data-ticket-id]").filter(has_text="Printer is out of toner")
    expect(row).to_have_count(1, timeout=LIVE)
    expect(subject).to_have_value("")
    # The form emptied itself after the success: leaving it then asks nothing (no "required").
    checks: list[str] = []
    page.on("request", lambda r: checks.append(r.url) if "phase=validate" in r.url else None)
    subject.blur()
    with page.expect_response(lambda r: "phase=validate" in r.url):
        subject.fill("Next one")  # typing does ask: one check, after the pause
    assert len(checks) == 1, checks
    expect(page.locator('[data-error-for="subject"]')).to_be_hidden()
    expect(page.locator(".flash")).to_contain_text("opened: Printer is out of toner")
    subject.fill("Screen flickers")
    page.locator("input[name=attachment]").set_input_files(
        files=[{"name": "screen.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.get_by_role("button", name="Open ticket").click()
    expect(page.locator("[data-ticket-id]").filter(has_text="Screen flickers")).to_have_count(
        1, timeout=LIVE)
    expect(page.locator(".flash")).to_contain_text("Attached screen.png")
    # The upload reported its progress to the end; the form is empty and ready again.
    assert page.locator("progress[data-liveui-progress]").evaluate("p => p.value") == 100
    expect(page.get_by_role("button", name="Open ticket")).to_be_enabled()
    assert page.locator("input[name=attachment]").evaluate("i => i.files.length") == 0
    assert page.evaluate("window.__notReloaded === true")
    assert tickets_with_subject(demo, "Printer is out of toner") == 1
    ticket_id = demo.query("SELECT id FROM tickets WHERE subject = 'Screen flickers'")[0][0]
    kept = demo.data_dir / "attachments" / f"{ticket_id}-screen.png"
    assert kept.read_bytes() == PNG
    assert list((demo.data_dir / "uploads").iterdir()) == []  # no temporary file left
    page.close()


def test_a_double_submit_opens_one_ticket_and_the_form_shows_it_is_busy(
    alice: BrowserContext, demo: DemoServer
) -> None:
    page = tickets(alice)
    # Record the form's states as they happen (a submit on loopback is too quick to look at).
    page.evaluate("""() => {
      const form = document.querySelector('form[data-liveui-form]');
      const button = form.querySelector('button[type=submit]');
      window.__states = [];
      new MutationObserver(() => window.__states.push([
        form.classList.contains('liveui-submitting'), button.disabled, button.textContent
      ])).observe(form, {attributes: true, subtree: true, childList: true});
    }""")
    page.locator("input[name=subject]").fill("Pressed twice")
    page.get_by_role("button", name="Open ticket").dblclick()
    expect(page.locator("[data-ticket-id]").filter(has_text="Pressed twice")).to_have_count(
        1, timeout=LIVE)
    expect(page.get_by_role("button", name="Open ticket")).to_be_enabled()
    states = page.evaluate("window.__states")
    assert [True, True, "Opening\u2026"] in states  # busy: class, disabled, its busy label
    assert states[-1][:2] == [False, False]
    assert tickets_with_subject(demo, "Pressed twice") == 1
    page.close()


def test_a_running_upload_can_be_cancelled_and_the_form_keeps_its_values(
    alice: BrowserContext, demo: DemoServer
) -> None:
    page = tickets(alice)
    held = []
    # Hold the submit in the browser's network layer, so it is still running when we cancel.
    page.route("**/form?form=open_ticket&phase=submit", lambda route: held.append(route))
    page.locator("input[name=subject]").fill("Cancelled on the way")
    page.locator("input[name=attachment]").set_input_files(
        files=[{"name": "slow.png", "mimeType": "image/png", "buffer": PNG}])
    cancel = page.get_by_role("button", name="Cancel upload")
    expect(cancel).to_be_hidden()
    page.get_by_role("button", name="Open ticket").click()
    expect(cancel).to_be_visible()
    expect(page.locator("form.liveui-submitting")).to_have_count(1)
    cancel.click()
    expect(page.locator("form.liveui-submitting")).to_have_count(0)
    expect(cancel).to_be_hidden()
    expect(page.get_by_role("button", name="Open ticket")).to_be_enabled()
    expect(page.locator("input[name=subject]")).to_have_value("Cancelled on the way")
    assert len(held) == 1
    page.unroute("**/form?form=open_ticket&phase=submit")
    assert tickets_with_subject(demo, "Cancelled on the way") == 0
    page.close()


def test_a_refused_attachment_is_explained_and_opens_no_ticket(
    alice: BrowserContext, demo: DemoServer
) -> None:
    page = tickets(alice)
    attachment = page.locator("input[name=attachment]")
    error = page.locator('[data-error-for="attachment"]')
    page.locator("input[name=subject]").fill("Too big")
    big = PNG + b"\x00" * (1024 * 1024)
    attachment.set_input_files(files=[{"name": "big.png", "mimeType": "image/png", "buffer": big}])
    expect(error).to_contain_text("larger than 1 MB", timeout=CHECKED)  # said before any submit
    page.get_by_role("button", name="Open ticket").click()
    expect(error).to_contain_text("larger than 1 MB", timeout=LIVE)
    expect(page.get_by_role("button", name="Open ticket")).to_be_enabled(timeout=LIVE)
    # Named like an image, but text inside: only the server, reading its bytes, can tell.
    page.locator("input[name=subject]").fill("Not an image")
    attachment.set_input_files(
        files=[{"name": "photo.png", "mimeType": "image/png", "buffer": b"just some text\n"}]
    )
    expect(error).to_be_hidden(timeout=CHECKED)  # the name and declared type look fine
    page.get_by_role("button", name="Open ticket").click()
    expect(error).to_contain_text("photo.png is text/plain", timeout=LIVE)
    expect(page.locator("input[name=subject]")).to_have_value("Not an image")  # nothing lost
    assert tickets_with_subject(demo, "Too big") == 0
    assert tickets_with_subject(demo, "Not an image") == 0
    assert list((demo.data_dir / "uploads").iterdir()) == []
    page.close()


def test_the_form_without_javascript_posts_and_shows_the_errors(
    browser: Browser, demo: DemoServer, tmp_path: Path
) -> None:
    context = browser.new_context(base_url=demo.url, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in_through_the_form(page, demo.url, "bob")
        page.goto("/tickets")
        page.locator("input[name=subject]").fill("no")
        page.get_by_role("button", name="Open ticket").click()
        expect(page).to_have_url(demo.url + "/tickets")
        expect(page.locator('[data-error-for="subject"]')).to_contain_text("at least 3")
        expect(page.locator("input[name=subject]")).to_have_value("no")
        fake = tmp_path / "invoice.pdf"
        fake.write_bytes(b"MZ\x90\x00 not a pdf at all")
        page.locator("input[name=subject]").fill("Invoice attached")
        page.locator("input[name=attachment]").set_input_files(fake)
        page.get_by_role("button", name="Open ticket").click()
        expect(page.locator('[data-error-for="attachment"]')).to_contain_text("invoice.pdf is")
        assert tickets_with_subject(demo, "Invoice attached") == 0
        pdf = tmp_path / "real.pdf"
        pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
        page.locator("input[name=subject]").fill("Invoice attached")
        page.locator("input[name=attachment]").set_input_files(pdf)
        page.get_by_role("button", name="Open ticket").click()
        expect(page.get_by_role("status")).to_contain_text("Attached real.pdf")
        opened = page.locator("[data-ticket-id]").filter(has_text="Invoice attached")
        expect(opened).to_have_count(1)
        assert tickets_with_subject(demo, "Invoice attached") == 1
    finally:
        context.close()


def test_the_copy_button_of_a_ticket_hears_back_from_the_server(
    alice: BrowserContext, demo: DemoServer
) -> None:
    """The demo's client hook: Copy tells the list's component, whose answer (push_event)
    reaches that button's hook, in this tab."""
    page = tickets(alice)
    page.locator("input[name=subject]").fill("Copy me")
    page.locator("input[name=subject]").press("Enter")
    row = page.locator("[data-ticket-id]").filter(has_text="Copy me")
    expect(row).to_have_count(1, timeout=LIVE)
    copy = row.get_by_role("button", name="Copy")
    copy.click()
    expect(row.get_by_role("button", name="Copied")).to_have_attribute(
        "title", re.compile(r"Copied ticket #\d+"), timeout=LIVE)
    page.close()


def test_forms_and_hooks_work_under_the_demos_strict_csp(
    browser: Browser, demo: DemoServer
) -> None:
    """No bypass here: the page's Content-Security-Policy (no inline script, no eval) is
    enforced, and checking, submitting and the Copy hook still work, with no violation."""
    context = browser.new_context(base_url=demo.url)
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    try:
        log_in_through_the_form(page, demo.url, "carol")
        page.goto("/tickets")
        expect(page.locator("html.liveui-connected")).to_have_count(1)
        subject = page.locator("input[name=subject]")
        subject.fill("ab")
        expect(page.locator('[data-error-for="subject"]')).to_have_text(NON_EMPTY, timeout=CHECKED)
        subject.fill("Under a strict policy")
        subject.press("Enter")
        row = page.locator("[data-ticket-id]").filter(has_text="Under a strict policy")
        expect(row).to_have_count(1, timeout=LIVE)
        row.get_by_role("button", name="Copy").click()
        expect(row.get_by_role("button", name="Copied")).to_be_visible(timeout=LIVE)
        assert refused == []
    finally:
        context.close()
