"""A user's install works: sdist, then the wheel from the sdist (as `python -m build` does),
pip-installed into a clean virtualenv whose PATH has no Node.js, serving the quick start under
uvicorn; Chromium sees a badge change after a commit.

Building runs the hook of hatch_build.py in this checkout, which (like `make setup`) refreshes
static/liveui/vendor/ from node_modules/ (or a temporary `npm install`). pip installs the
wheel's dependencies from its cache or the index. About 20-40 s with a warm pip cache.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from liveui.live.paths import ASSETS, VENDOR_FILES
from liveui.scaffold import FILES_DIR, app_files
from liveui.testing import ServerProcess, free_port
from tests.support.availability import ROOT, unavailable

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

QUICKSTART = ROOT / "docs" / "examples" / "quickstart"


def run(
    args: list[str | Path], *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in args], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done


def bin_dir(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def build_frontend(tmp: Path) -> Path:
    """A Python with the `build` package: this one (the dev extras have it), else a venv."""
    if importlib.util.find_spec("build") is not None:
        return Path(sys.executable)
    venv = tmp / "build-tool"
    run([sys.executable, "-m", "venv", venv])
    run([bin_dir(venv) / "python", "-m", "pip", "install", "-q", "build"])
    return bin_dir(venv) / "python"


@dataclass
class Dist:
    sdist: Path
    wheel: Path
    log: str


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    if not (ROOT / "node_modules" / "htmx.org").is_dir() and shutil.which("npm") is None:
        unavailable("building needs node_modules/ (make setup) or npm on PATH")
    tmp = tmp_path_factory.mktemp("dist")
    out = tmp / "dist"
    # No arguments: the sdist first, then the wheel from the unpacked sdist.
    done = run([build_frontend(tmp), "-m", "build", "--outdir", out, ROOT])
    (sdist,) = out.glob("liveui-*.tar.gz")
    (wheel,) = out.glob("liveui-*.whl")
    return Dist(sdist, wheel, done.stdout + done.stderr)


def test_wheel_is_built_from_the_sdist(dist: Dist) -> None:
    assert "Building wheel from sdist" in dist.log, dist.log


def test_sdist_carries_the_browser_files_and_what_a_rebuild_needs(dist: Dist) -> None:
    with tarfile.open(dist.sdist) as tar:
        top = tar.getnames()[0].split("/")[0]
        names = {name.removeprefix(f"{top}/") for name in tar.getnames()}
    for name in VENDOR_FILES:
        assert f"static/liveui/vendor/{name}" in names
    for name in ("hatch_build.py", "scripts/vendor_assets.py", "package.json",
                 "package-lock.json", "static/liveui/liveui.js", "static/liveui/liveui.css"):
        assert name in names
    assert not [n for n in names if n.endswith(".installed")]
    assert not [n for n in names if n.startswith(("node_modules", ".hypothesis", "dist/"))]


def test_a_package_people_can_depend_on(dist: Dist) -> None:
    """The licence text, the typing marker and the metadata ship; the screenshots do not."""
    with tarfile.open(dist.sdist) as tar:
        top = tar.getnames()[0].split("/")[0]
        names = {name.removeprefix(f"{top}/") for name in tar.getnames()}
    assert "LICENSE" in names and "liveui/py.typed" in names
    assert not [n for n in names if n.startswith("docs/images/")]
    with zipfile.ZipFile(dist.wheel) as wheel:
        files = set(wheel.namelist())
        (metadata_name,) = [n for n in files if n.endswith(".dist-info/METADATA")]
        metadata = wheel.read(metadata_name).decode()
        licence = [n for n in files if n.endswith("licenses/LICENSE")]
        assert licence and "MIT License" in wheel.read(licence[0]).decode()
    assert "liveui/py.typed" in files
    assert "License-Expression: MIT" in metadata
    assert "Classifier: Typing :: Typed" in metadata
    assert "Requires-Dist: uvicorn[standard]<1,>=0.55" in metadata


def test_wheel_carries_every_browser_file_and_no_stamp(dist: Dist) -> None:
    with zipfile.ZipFile(dist.wheel) as wheel:
        names = set(wheel.namelist())
        head = wheel.read("liveui/_templates/liveui/head.html").decode()
    for asset in ASSETS:
        assert f"liveui/_static/liveui/{asset}" in names
    # The files the head tag loads are among them.
    for src in ("liveui.css", "vendor/htmx.min.js", "liveui.js"):
        assert f"{{{{ static }}}}/{src}" in head
    assert not [n for n in names if n.endswith(".installed")]
    static = sorted(n for n in names if n.startswith("liveui/_static/"))
    licences = [n for n in static if "/vendor/licenses/" in n]
    assert len(static) == len(ASSETS) + len(licences), static


def test_wheel_carries_the_app_scaffold(dist: Dist) -> None:
    """`liveui new` writes its app from package data: every template ships."""
    with zipfile.ZipFile(dist.wheel) as wheel:
        names = set(wheel.namelist())
    templates = [t.relative_to(FILES_DIR).as_posix() for t in app_files().values()]
    assert len(templates) >= 10
    for template in templates:
        assert f"liveui/scaffold/files/{template}" in names, template


@dataclass
class Installed:
    python: Path
    env: dict[str, str]
    app_dir: Path


@pytest.fixture(scope="module")
def installed(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp("venv")
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", venv])  # no --system-site-packages
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = str(bin_dir(venv))  # nothing else: no node, no npm
    assert shutil.which("node", path=env["PATH"]) is None
    assert shutil.which("npm", path=env["PATH"]) is None
    python = bin_dir(venv) / "python"
    run([python, "-m", "pip", "install", "-q", dist.wheel], env=env, cwd=tmp)
    app_dir = tmp / "app"  # the quick start, out of the repository
    shutil.copytree(QUICKSTART, app_dir, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    return Installed(python, env, app_dir)


def test_installed_package_finds_its_browser_files(installed: Installed) -> None:
    done = run(
        [installed.python, "-c",
         "import liveui.live.paths as p; print(p.static_dir()); print(p.missing_assets())"],
        env=installed.env, cwd=installed.app_dir,
    )
    static, missing = done.stdout.splitlines()
    assert "site-packages" in static and str(ROOT) not in static
    assert missing == "[]"


def test_installed_liveui_new_writes_the_whole_app(installed: Installed, tmp_path: Path) -> None:
    run([bin_dir(installed.python.parent.parent) / "liveui", "new", "fromwheel"],
        env=installed.env, cwd=tmp_path)
    app = tmp_path / "fromwheel"
    written = {p.relative_to(app).as_posix() for p in app.rglob("*") if p.is_file()}
    assert written == set(app_files())


@pytest.fixture
def server(installed: Installed, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {**installed.env, "QUICKSTART_DATABASE": f"sqlite+aiosqlite:///{tmp_path / 'q.db'}"}
    app = ServerProcess(
        [installed.python, "-m", "uvicorn", "app:app", "--host", "127.0.0.1",
         "--port", str(port), "--timeout-graceful-shutdown", "1"],
        url=f"http://127.0.0.1:{port}", log_path=tmp_path / "uvicorn.log",
        cwd=installed.app_dir, env=env, name="the installed quick-start app",
        stop_signal=signal.SIGTERM,
    )
    app.start()
    try:
        yield app.url
        assert "missing" not in app.log(), app.log()  # the start-up check
    finally:
        app.stop()


def test_installed_wheel_serves_a_live_page(server: str, page: Page) -> None:
    for asset in ASSETS:
        assert httpx.get(f"{server}/static/liveui/{asset}").status_code == 200, asset
    page.goto(f"{server}/login/1")
    badge = page.locator('nav [data-counter="pending_orders"]')
    expect(badge).to_have_text("0")
    other = page.context.new_page()
    other.goto(f"{server}/")  # the same browser: the same login
    other.get_by_role("button", name="Place order").click()  # a commit in the other tab
    expect(badge).to_have_text("1")  # the first tab, without a reload
