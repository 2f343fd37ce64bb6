"""`liveui new NAME` writes an app that runs: its own tests pass (run as its README says, in a
subprocess with this interpreter), and served by uvicorn it is live in Chromium — a live
action in one tab moves the badge and rings the bell in another."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from liveui.cli import main
from liveui.scaffold import app_files
from liveui.testing import free_port
from liveui.testing.process import ServerProcess

EXPECTED = {
    ".env", ".gitignore", "README.md", "app.py", "models.py", "pyproject.toml", "settings.py",
    "templates/home.html", "templates/task_row.html", "templates/tasks_table.html",
    "tests/conftest.py", "tests/test_app.py",
}


def clean_env() -> dict[str, str]:
    """The environment a user's shell would have: none of this repository's test settings."""
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    return {k: v for k, v in os.environ.items() if k in keep}


@pytest.fixture
def app_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    assert main(["new", "deskapp"]) == 0
    return tmp_path / "deskapp"


def test_it_writes_every_file_with_a_fresh_secret(app_dir: Path, tmp_path: Path) -> None:
    written = {p.relative_to(app_dir).as_posix() for p in app_dir.rglob("*") if p.is_file()}
    assert written == EXPECTED == set(app_files())
    assert not any("__NAME__" in (app_dir / f).read_text() for f in written)
    secret = re.search(r"^SECRET_KEY=(\S+)$", (app_dir / ".env").read_text(), re.M)
    assert secret is not None and len(secret.group(1)) >= 32
    assert (app_dir / ".env").stat().st_mode & 0o077 == 0
    assert main(["new", "other", "--dir", str(tmp_path / "other")]) == 0
    assert secret.group(1) not in (tmp_path / "other" / ".env").read_text()
    readme = (app_dir / "README.md").read_text()
    assert "uvicorn app:app" in readme and "python -m pytest" in readme


def test_it_never_overwrites_and_refuses_bad_names(
    app_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (app_dir / "app.py").read_text()
    assert main(["new", "deskapp"]) == 2
    assert "already exists and is not empty: nothing written" in capsys.readouterr().err
    assert (app_dir / "app.py").read_text() == before
    assert main(["new", "../escape"]) == 2
    assert "not a usable app name" in capsys.readouterr().err
    assert not (app_dir.parent.parent / "escape").exists()


def test_its_own_tests_pass(app_dir: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=app_dir, env=clean_env(), capture_output=True, text=True, timeout=180,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout


@pytest.fixture
def served(app_dir: Path) -> Iterator[ServerProcess]:
    port = free_port()
    server = ServerProcess(
        [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port)],
        url=f"http://127.0.0.1:{port}", log_path=app_dir / "server.log", cwd=app_dir,
        env=clean_env(), name="the new app",
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
    assert "Traceback" not in server.log(), server.log()


@pytest.mark.e2e
def test_it_is_live_in_chromium(served: ServerProcess, page: Page) -> None:
    page.goto(f"{served.url}/login/1")
    badge = page.locator('header [data-counter="open_tasks"]')
    expect(badge).to_have_text("0")
    page.wait_for_function("window.liveui && window.liveui.lastEventId() !== null",
                           timeout=10_000)
    page.get_by_label("New task").fill("Try liveui")
    page.get_by_role("button", name="Add").click()  # a form post and redirect
    expect(badge).to_have_text("1")
    row = page.locator("tr[data-task-id]")
    expect(row).to_have_attribute("data-done", "no")

    other = page.context.new_page()  # a second tab of the same login
    other.goto(served.url + "/")
    other_badge = other.locator('header [data-counter="open_tasks"]')
    expect(other_badge).to_have_text("1")
    other.wait_for_function("window.liveui && window.liveui.lastEventId() !== null",
                            timeout=10_000)

    page.get_by_role("button", name="Done").click()  # the live action: no page load
    expect(row).to_have_attribute("data-done", "yes")
    expect(other_badge).to_have_text("0")  # the other tab, without a reload
    expect(other.locator("tr[data-task-id]")).to_have_attribute("data-done", "yes")
    expect(other.locator('[data-counter="unread_notifications"]')).to_have_text("1")
    expect(page.locator("#liveui-flash")).to_contain_text("done")


@pytest.mark.e2e
def test_it_works_without_javascript(served: ServerProcess, browser: Browser) -> None:
    context = browser.new_context(base_url=served.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/login/1")
        page.get_by_label("New task").fill("No scripts")
        page.get_by_role("button", name="Add").click()
        expect(page.locator('header [data-counter="open_tasks"]')).to_have_text("1")
        page.get_by_role("button", name="Done").click()  # the row's form post, CSRF-checked
        expect(page).to_have_url(served.url + "/")
        expect(page.locator("tr[data-task-id]")).to_have_attribute("data-done", "yes")
        expect(page.locator('header [data-counter="open_tasks"]')).to_have_text("0")
        forged = page.request.post("/tasks/1/done", form={"csrf_token": "forged"})
        assert forged.status == 403
    finally:
        context.close()
