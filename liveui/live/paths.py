"""Where liveui's default templates and static files are, in a checkout and in the wheel.

The wheel force-includes them as `liveui/_templates` and `liveui/_static`; a source checkout has
them at the repository root as `templates/` and `static/`.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["static_dir", "templates_dir"]

_PACKAGE = Path(__file__).resolve().parent.parent


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
