"""`liveui new NAME`: write a small, runnable liveui app to start from.

The app's files are kept under `files/` as `*.tmpl` (package data: they ship in the wheel, and
no linter or test runner mistakes them for liveui's own modules); `__NAME__` becomes the app's
name and `__SECRET__` a freshly generated secret key, written into the app's `.env` only.
`gitignore.tmpl` and `env.tmpl` become `.gitignore` and `.env`.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from ..errors import ConfigurationError

__all__ = ["FILES_DIR", "app_files", "write_app"]

FILES_DIR = Path(__file__).resolve().parent / "files"
"""The templates of the app's files."""

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_DOTFILES = {"gitignore": ".gitignore", "env": ".env"}


def app_files() -> dict[str, Path]:
    """Each file of a new app (its path inside the app, `/`-separated) -> its template."""
    found: dict[str, Path] = {}
    for template in sorted(FILES_DIR.rglob("*.tmpl")):
        relative = template.relative_to(FILES_DIR).with_suffix("")
        name = _DOTFILES.get(relative.name, relative.name)
        found[relative.with_name(name).as_posix()] = template
    return found


def write_app(name: str, directory: Path, *, secret: str | None = None) -> list[Path]:
    """Write the app `name` into `directory` (created; it must not exist, or be empty) and
    return the files written. Refuses a name that is not a plain identifier-like word, and
    never overwrites anything."""
    if not _NAME.match(name):
        raise ConfigurationError(
            f"{name!r} is not a usable app name: start with a letter; letters, digits, '_' "
            "and '-' only (at most 64)"
        )
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ConfigurationError(f"{directory} already exists and is not empty: nothing written")
    secret = secret or secrets.token_urlsafe(32)
    rendered = {
        path: template.read_text().replace("__NAME__", name).replace("__SECRET__", secret)
        for path, template in app_files().items()
    }
    written = []
    for path, text in rendered.items():
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        written.append(target)
    (directory / ".env").chmod(0o600)  # the secret: readable by its owner only
    return written
