"""Where liveui's default templates and static files are, in a checkout and in the wheel, and
which browser files must be there.

The wheel force-includes them as `liveui/_templates` and `liveui/_static`; a source checkout has
them at the repository root as `templates/` and `static/`.

`VENDOR_FILES` is the one list of third-party browser files: `scripts/vendor_assets.py` (run by
`make setup` and by the build hook in `hatch_build.py`) copies them from the npm packages pinned
in package.json / package-lock.json, and `missing_assets()` looks for them at start-up. This
module must keep to the standard library: the build loads it by file path, before liveui's
dependencies are installed.
"""

from __future__ import annotations

import logging
from pathlib import Path

__all__ = [
    "ASSETS",
    "VENDOR_FILES",
    "check_assets",
    "missing_assets",
    "static_dir",
    "templates_dir",
]

_PACKAGE = Path(__file__).resolve().parent.parent

VENDOR_FILES: dict[str, str] = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "htmx-ext-sse.min.js": "htmx-ext-sse/dist/sse.min.js",
    "htmx-ext-ws.min.js": "htmx-ext-ws/dist/ws.min.js",
    "phoenix.min.js": "phoenix/priv/static/phoenix.min.js",
    "phoenix.mjs": "phoenix/priv/static/phoenix.mjs",
}
"""`static/liveui/vendor/<name>` → the file in `node_modules/` it is copied from."""

ASSETS: tuple[str, ...] = (
    "liveui.js",
    "liveui-forms.js",
    "liveui-hooks.js",
    "liveui.css",
    *(f"vendor/{n}" for n in VENDOR_FILES),
)
"""Every browser file under `static_dir()` that liveui's tags (or the channel client) load."""

FIX = (
    "in a source checkout run `make setup` (it copies them from the pinned npm packages); "
    "otherwise install a liveui wheel built with its build hook (`python -m build`), "
    "which carries them"
)


def _find(packaged: str, checkout: str) -> Path:
    for candidate in (_PACKAGE / packaged, _PACKAGE.parent / checkout):
        if (candidate / "liveui").is_dir():
            return candidate
    raise RuntimeError(
        f"liveui: cannot find its {checkout}/ folder (looked in {_PACKAGE / packaged} and "
        f"{_PACKAGE.parent / checkout}); reinstall the package"
    )


def templates_dir() -> Path:
    """The folder holding `liveui/*.html` (add it to a Jinja2 loader search path)."""
    return _find("_templates", "templates")


def static_dir() -> Path:
    """The folder holding `liveui/liveui.js`, `liveui/liveui.css` and `liveui/vendor/`."""
    return _find("_static", "static") / "liveui"


def missing_assets(directory: Path | None = None) -> list[Path]:
    """The browser files of `ASSETS` absent from `directory` (default `static_dir()`)."""
    directory = static_dir() if directory is None else directory
    return [directory / name for name in ASSETS if not (directory / name).is_file()]


def check_assets(directory: Path | None = None, *, log: logging.Logger | None = None) -> list[Path]:
    """Log an ERROR naming each missing browser file and the fix; return the missing files.

    Pages still render without them, but nothing on them is live and the browser's console
    is the only other place that says so (a 404 for `/static/liveui/vendor/htmx.min.js`).
    """
    missing = missing_assets(directory)
    if missing:
        (log or logging.getLogger("liveui")).error(
            "liveui: %d browser file(s) missing, pages will not update live: %s. To fix: %s.",
            len(missing),
            ", ".join(str(path) for path in missing),
            FIX,
        )
    return missing
