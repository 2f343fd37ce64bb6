"""`UploadedFile`: one file a live form received, on disk until the request ends.

Its own module because the form declarations (`form`) name it and the reader that makes it
(`uploads`) reads those declarations: neither imports the other back.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TEMP_PREFIX", "UploadedFile"]

TEMP_PREFIX = ".liveui-upload-"
"""Temporary upload files are named `<TEMP_PREFIX><random>.part` inside the upload folder."""


@dataclass
class UploadedFile:
    """One received file, on disk at `path` until the request ends (unless `move_to` kept it).

    `content_type` is what its first bytes say it is; `declared_type` is the browser's guess
    from the name, kept for information only. `refused`: why the file was not accepted (too
    large, wrong type), in words for the person who sent it; its bytes are already gone."""

    field: str
    filename: str
    path: Path
    declared_type: str = ""
    size: int = 0
    content_type: str = ""
    refused: str | None = None
    kept: bool = False
    # (`dataclasses.field` by its full name: this class has a `field` of its own.)
    _fd: int | None = dataclasses.field(default=None, repr=False)
    _head: bytes = dataclasses.field(default=b"", repr=False)

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()

    def move_to(self, destination: str | os.PathLike[str]) -> Path:
        """Move the file to `destination` (a file path) and keep it: a rename when on the same
        file system (atomic), else a copy into a temporary name renamed in place, so the
        destination never holds half a file."""
        if self.refused is not None:
            raise ValueError(f"liveui: the upload {self.filename!r} was refused: {self.refused}")
        target = Path(destination)
        try:
            os.replace(self.path, target)
        except OSError:
            partial = target.with_name(f"{TEMP_PREFIX}{target.name}.part")
            try:
                shutil.copyfile(self.path, partial)
                os.replace(partial, target)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    partial.unlink()
            self.path.unlink(missing_ok=True)
        self.path = target
        self.kept = True
        return target

    def _discard(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if not self.kept:
            self.path.unlink(missing_ok=True)
