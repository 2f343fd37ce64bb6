"""The browser-file list, the start-up check that names missing files, and the copy step that
`make setup` and the build hook share (scripts/vendor_assets.py)."""

from __future__ import annotations

import importlib.util
import logging
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from liveui import LiveUI, Node
from liveui.live import paths
from liveui.live.paths import ASSETS, VENDOR_FILES, check_assets, missing_assets
from tests.support.availability import ROOT, unavailable


def complete(directory: Path) -> Path:
    for name in ASSETS:
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text("/* */")
    return directory


def test_assets_are_what_the_head_tag_loads() -> None:
    head = (ROOT / "templates" / "liveui" / "head.html").read_text()
    for name in ("liveui.css", "liveui.js", "vendor/htmx.min.js"):
        assert name in ASSETS and f"{{{{ static }}}}/{name}" in head
    for transport in ("sse", "ws"):  # vendor/htmx-ext-{{ settings.transport }}.min.js
        assert f"vendor/htmx-ext-{transport}.min.js" in ASSETS
    assert "vendor/htmx-ext-{{ settings.transport }}.min.js" in head


def test_missing_assets_lists_each_absent_file(tmp_path: Path) -> None:
    assert missing_assets(tmp_path) == [tmp_path / name for name in ASSETS]
    complete(tmp_path)
    assert missing_assets(tmp_path) == []
    (tmp_path / "vendor" / "htmx.min.js").unlink()
    assert missing_assets(tmp_path) == [tmp_path / "vendor" / "htmx.min.js"]


def test_check_assets_logs_one_error_naming_the_files_and_the_fix(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    complete(tmp_path)
    for name in ("htmx.min.js", "htmx-ext-sse.min.js"):
        (tmp_path / "vendor" / name).unlink()
    with caplog.at_level(logging.ERROR, logger="liveui"):
        missing = check_assets(tmp_path)
    assert len(missing) == 2
    (record,) = caplog.records
    assert record.levelno == logging.ERROR and record.name == "liveui"
    message = record.getMessage()
    for path in missing:
        assert str(path) in message
    assert "make setup" in message and "wheel" in message


def test_check_assets_is_quiet_when_all_are_there(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        assert check_assets(complete(tmp_path)) == []
    assert caplog.records == []


@pytest.mark.parametrize("present", [False, True])
async def test_liveui_start_checks_the_static_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    present: bool,
) -> None:
    if present:
        complete(tmp_path)
    monkeypatch.setattr(paths, "static_dir", lambda: tmp_path)
    node = Node()
    LiveUI(node=node, secret_key="s", get_user_id=lambda request: None, debug=True)
    with caplog.at_level(logging.ERROR, logger="liveui"):
        async with node.lifespan():
            pass
    errors = [r.getMessage() for r in caplog.records if "browser file" in r.getMessage()]
    if present:
        assert errors == []
    else:
        assert len(errors) == 1 and str(tmp_path / "vendor" / "htmx.min.js") in errors[0]


# --- scripts/vendor_assets.py ---------------------------------------------------------------


@pytest.fixture(scope="module")
def va() -> ModuleType:
    path = ROOT / "scripts" / "vendor_assets.py"
    spec = importlib.util.spec_from_file_location("vendor_assets", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_file_list_for_make_the_hook_and_the_check(va: ModuleType) -> None:
    assert va.vendor_files(ROOT) == VENDOR_FILES
    makefile = (ROOT / "Makefile").read_text()
    assert "scripts/vendor_assets.py" in makefile
    assert not [name for name in VENDOR_FILES if name in makefile]  # no second copy of the list
    # Every vendored package is a runtime dependency with a locked version.
    assert set(va.locked_versions(ROOT)) == {"htmx.org", "htmx-ext-sse", "htmx-ext-ws", "phoenix"}


def test_vendor_copies_from_node_modules(va: ModuleType, tmp_path: Path) -> None:
    if va.stale(ROOT / "node_modules", va.locked_versions(ROOT)):
        unavailable("node_modules/ does not hold the locked packages (make setup installs them)")
    written = va.vendor(ROOT, tmp_path, allow_npm=False)
    names = sorted(str(p.relative_to(tmp_path)) for p in written)
    assert names == sorted([*VENDOR_FILES, *(va.licence_name(p) for p in va.packages(ROOT))])
    for name, source in VENDOR_FILES.items():
        assert (tmp_path / name).read_bytes() == (ROOT / "node_modules" / source).read_bytes()


def project_without_node_modules(root: Path) -> Path:
    for name in ("package.json", "package-lock.json", "liveui/live/paths.py"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, root / name)
    return root


def test_vendor_without_node_modules_or_npm_says_what_to_do(
    va: ModuleType, tmp_path: Path
) -> None:
    root = project_without_node_modules(tmp_path)
    with pytest.raises(va.VendorError, match="make setup"):
        va.vendor(root, allow_npm=False)
    assert not (root / "static").exists()


@pytest.mark.slow
def test_vendor_without_node_modules_installs_the_locked_packages_with_npm(
    va: ModuleType, tmp_path: Path
) -> None:
    if shutil.which("npm") is None:
        unavailable("npm is not installed (make setup needs it too)")
    root = project_without_node_modules(tmp_path)
    va.vendor(root)
    # The committed files, not copied:
    assert va.absent(root) == ["liveui.js", "liveui-forms.js", "liveui-hooks.js", "liveui.css"]
    assert not (root / "node_modules").exists()  # a temporary folder, not the project's
