"""Reading a form that may carry files: streamed to disk within the form's declared limits.

    async with await receive_form(request, form, upload_dir=...) as received:
        validation = form.validate(received.fields, received.files)
        ...                                  # upload.move_to(...) keeps a file

The body is parsed as it arrives (python-multipart, as Starlette does) and each file part goes
straight into its own temporary file in `upload_dir`; memory holds one network chunk at a time,
whatever the size of the upload. Limits are checked while the bytes flow: a file over its
`max_size` is cut off and deleted at once (the rest of its part is read and dropped), a part
over the count or for an undeclared field is dropped, and the type is decided by the file's
first bytes (`sniff`). A body larger than the form could ever need (`drain_limit`) is not read
further at all. When the client goes away mid-way (a cancelled upload), or anything fails, every
temporary file is deleted before the error goes on; leaving the `async with` deletes every file
the handler did not keep with `move_to` — so nothing half-written is ever left behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from .form import FileField, Form, TextField
from .sniff import SNIFF_BYTES, sniff_type
from .uploaded_file import TEMP_PREFIX, UploadedFile

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "TEMP_PREFIX",
    "BodyTooLarge",
    "Received",
    "UploadedFile",
    "drain_limit_of",
    "receive_form",
    "sweep_stale_uploads",
]



MAX_HEADER = 4096


def sweep_stale_uploads(folder: str | os.PathLike[str], max_age: float = 3600.0) -> int:
    """Delete temporary upload files older than `max_age` seconds in `folder` (those a process
    that died mid-upload could not delete); returns how many. `LiveUI.form` runs it for its
    `upload_dir` when a form is registered."""
    import time

    deadline = time.time() - max_age
    removed = 0
    for path in Path(folder).glob(f"{TEMP_PREFIX}*"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < deadline:
                path.unlink()
                removed += 1
    return removed


class BodyTooLarge(Exception):
    """The body is larger than the form could ever need: not read further."""


@dataclass
class Received:
    """The text fields and files of one request, and what went wrong while reading them (one
    message per field, as `Validation.errors`). Use it with `async with`: leaving deletes the
    files nobody kept."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, list[UploadedFile]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def uploads(self) -> list[UploadedFile]:
        return [upload for uploads in self.files.values() for upload in uploads]

    def cleanup(self) -> None:
        for upload in self.uploads():
            upload._discard()

    async def __aenter__(self) -> Received:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cleanup()


class _Reader:
    """The parser's callbacks: they run synchronously inside `parser.write(chunk)`. File data is
    written with `os.write` there, one network chunk (tens of KB, into the page cache) at a
    time, which is cheaper than a thread hop per chunk."""

    def __init__(self, form: Form, upload_dir: Path, received: Received) -> None:
        self.form = form
        self.upload_dir = upload_dir
        self.received = received
        self.max_parts = len(form.fields) * 2 + 16
        self.parts = 0
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._text: bytearray | None = None
        self._upload: UploadedFile | None = None
        self._file_field: FileField | None = None
        self._dropping = False

    def callbacks(self) -> Mapping[str, Any]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
        }

    def _error(self, name: str, message: str) -> None:
        self.received.errors.setdefault(name, message)

    def on_part_begin(self) -> None:
        self._headers = {}
        self._name = ""
        self._text = None
        self._upload = None
        self._file_field = None
        self._dropping = False

    # A part's headers are short; anything longer is cut (never held in memory whole).
    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        if len(self._header_field) < MAX_HEADER:
            self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        if len(self._header_value) < MAX_HEADER:
            self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if len(self._headers) < 8:
            self._headers[self._header_field.lower()] = self._header_value
        self._header_field = self._header_value = b""

    def on_headers_finished(self) -> None:
        self.parts += 1
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        self._name = name
        if self.parts > self.max_parts:
            self._error("", "The form sent too many fields.")
            self._dropping = True
            return
        declared = self.form.fields.get(name)
        if b"filename" not in options:
            if isinstance(declared, FileField):
                self._error(name, f"{declared.title} must be sent as a file.")
                self._dropping = True
            elif name in self.received.fields:
                self._dropping = True  # the first value of a name wins
            else:
                self._text = bytearray()
            return
        filename = Path(options[b"filename"].decode("utf-8", "replace").replace("\\", "/")).name
        if not isinstance(declared, FileField):
            if not isinstance(declared, TextField) and name:
                self._error("", f"The form has no file field {name!r}.")
            self._dropping = True
            return
        self._file_field = declared
        if not filename:
            self._dropping = True  # a file input with nothing chosen: an empty part, no file
            return
        uploads = self.received.files.setdefault(name, [])
        if len(uploads) >= declared.max_files:
            self._error(name, declared.too_many())
            self._dropping = True
            return
        fd, path = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".part", dir=self.upload_dir)
        content_type = self._headers.get(b"content-type", b"").decode("latin-1")[:100]
        self._upload = UploadedFile(name, filename[:255], Path(path), content_type, _fd=fd)
        uploads.append(self._upload)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._dropping:
            return
        chunk = data[start:end]
        upload = self._upload
        if upload is not None and upload._fd is not None:
            declared = self._file_field
            assert declared is not None
            if upload.size + len(chunk) > declared.max_size:
                upload.refused = declared.too_large(upload.filename)
                upload._discard()
                self._dropping = True
                return
            if len(upload._head) < SNIFF_BYTES:
                upload._head += chunk[: SNIFF_BYTES - len(upload._head)]
            upload.size += len(chunk)
            view = memoryview(chunk)
            while view:
                view = view[os.write(upload._fd, view):]
        elif self._text is not None:
            if len(self._text) + len(chunk) > self.form.field_limit:
                declared_text = self.form.fields.get(self._name)
                if declared_text is not None:
                    self._error(self._name, f"{declared_text.title} is too long.")
                else:  # not a field the page shows a message for: the whole form's
                    self._error("", "The form sent a field that is too long.")
                self._text = None
                self._dropping = True
                return
            self._text += chunk

    def on_part_end(self) -> None:
        upload = self._upload
        if upload is not None and upload._fd is not None and not self._dropping:
            os.close(upload._fd)
            upload._fd = None
            upload.content_type = sniff_type(upload._head)
            declared = self._file_field
            assert declared is not None
            if upload.size == 0:
                upload.refused = f"{upload.filename} is empty."
                upload._discard()
            elif not declared.accepts(upload.content_type):
                upload.refused = declared.wrong_type(upload.filename, upload.content_type)
                upload._discard()
        elif self._text is not None and self._name:
            self.received.fields[self._name] = self._text.decode("utf-8", "replace")
        self._upload = None
        self._text = None


def drain_limit_of(form: Form) -> int:
    """How many bytes of a body are read at most: a bit over what the form can need, so an
    oversize file is still read to its end (and the browser sees the answer that explains the
    refusal) while a body far beyond any limit is cut off at once."""
    return form.max_body * 2 + 1024 * 1024


async def receive_form(
    request: Request,
    form: Form,
    *,
    upload_dir: str | os.PathLike[str] | None = None,
    drain_limit: int | None = None,
) -> Received:
    """Read `request`'s body (multipart or urlencoded) under `form`'s limits.

    Raises `BodyTooLarge` (nothing kept) when the body is over `drain_limit`, by its declared
    length before reading or while reading; other failures (the client gone: Starlette's
    `ClientDisconnect`) propagate after the temporary files are deleted. A malformed body gives
    an error for the whole form (key "")."""
    limit = drain_limit if drain_limit is not None else drain_limit_of(form)
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared[:15]) > limit:
        raise BodyTooLarge(f"the body declares {declared} bytes; at most {limit} are read")
    received = Received()
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data":
        await _receive_urlencoded(request, form, limit, received)
        return received
    boundary = options.get(b"boundary")
    if not boundary:
        received.errors[""] = "The form could not be read (no multipart boundary)."
        return received
    folder = Path(upload_dir) if upload_dir is not None else Path(tempfile.gettempdir())
    reader = _Reader(form, folder, received)
    parser = MultipartParser(boundary, reader.callbacks())  # type: ignore[arg-type]
    seen = 0
    try:
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > limit:
                raise BodyTooLarge(f"the body is over {limit} bytes")
            parser.write(chunk)
        parser.finalize()
    except FormParserError:
        received.cleanup()
        received.files.clear()
        received.errors[""] = "The form could not be read."
    except BaseException:
        received.cleanup()
        raise
    return received


async def _receive_urlencoded(
    request: Request, form: Form, limit: int, received: Received
) -> None:
    from urllib.parse import parse_qsl

    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > min(limit, form.max_body):
            raise BodyTooLarge("the form body is too large")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                          max_num_fields=len(form.fields) * 2 + 16)
    except (UnicodeDecodeError, ValueError):
        received.errors[""] = "The form could not be read."
        return
    for name, value in pairs:
        if len(value) > form.field_limit:
            received.errors.setdefault(name, "This field is too long.")
        received.fields.setdefault(name, value)
