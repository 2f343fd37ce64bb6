"""Where liveui's default templates and static files are, in a source checkout or a wheel."""

from __future__ import annotations

from pathlib import Path

__all__ = ["static_dir", "templates_dir"]

_PACKAGE = Path(__file__).resolve().parent


def _find(installed: str, checkout: str) -> Path:
    # The wheel carries them inside the package (pyproject force-include); a checkout at the root.
    inside = _PACKAGE / installed
    return inside if inside.is_dir() else _PACKAGE.parent / checkout


def templates_dir() -> Path:
    """The folder holding `liveui/*.html` (load templates as "liveui/badge.html")."""
    return _find("_templates", "templates")


def static_dir() -> Path:
    """The folder holding `liveui/` (liveui.js, liveui.css, vendor/)."""
    return _find("_static", "static")
