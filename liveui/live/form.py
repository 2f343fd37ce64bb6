"""`Form`: a form's fields and their rules, declared once and used by every path that reads it.

    ticket_form = Form(
        "open_ticket",
        TextField("subject", label="Subject", required=True, min_length=3, max_length=200),
        FileField("attachment", max_size=1024 * 1024, accept=("image/*", "application/pdf")),
    )

The same declaration checks a field while the person types (`validate(..., only=...)`, the
live form's change requests), the whole form on submit (the live form endpoint), and the plain
POST a page without JavaScript sends (`receive_form`). Each rule answers one message per field,
written for the person filling the form; the server renders it next to the field.

Why not pydantic or WTForms: the rules here are the few a form needs (required, lengths, a
pattern, choices, a custom check, upload limits), they report per field in words meant for
people, and file limits belong to the same declaration; a model library can still run inside
a `check=` function or the submit handler (raise `FieldErrors` from it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .sniff import type_matches

if TYPE_CHECKING:
    from .uploaded_file import UploadedFile

__all__ = ["FieldErrors", "FileField", "FileInfo", "Form", "TextField", "Validation"]

_NAME = re.compile(r"^[A-Za-z][\w-]{0,63}$")


class FieldErrors(Exception):
    """Raised by a submit handler (or a `check`) to refuse the form with per-field messages;
    the key "" is a message for the whole form."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k or 'form'}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


def _check_name(kind: str, name: str) -> None:
    if not _NAME.match(name):
        raise ValueError(
            f"liveui: {kind} name {name!r} must start with a letter and hold only letters, "
            "digits, '_' or '-' (it becomes part of element ids)"
        )


def _size(n: int) -> str:
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MB"
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n // 1024} KB"
    return f"{n} bytes"


@dataclass(frozen=True)
class TextField:
    """A text input: trimmed, then checked in order (required, lengths, pattern, choices,
    `check`); the first failing rule is the field's message."""

    name: str
    label: str = ""
    required: bool = False
    min_length: int = 0
    max_length: int = 1000
    pattern: str | None = None
    pattern_message: str = "has the wrong format"
    choices: Collection[str] | None = None
    check: Callable[[str], str | None] | None = None
    """`value` -> a message when it is wrong, None when it is fine."""

    def __post_init__(self) -> None:
        _check_name("field", self.name)
        if self.min_length > self.max_length:
            raise ValueError(f"liveui: TextField {self.name!r}: min_length > max_length")

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def clean(self, raw: str | None) -> tuple[str, str | None]:
        """The trimmed value and its error message (None: valid)."""
        value = (raw or "").strip()
        if not value:
            return value, (f"{self.title} is required." if self.required else None)
        if len(value) < self.min_length:
            return value, f"{self.title} needs at least {self.min_length} characters."
        if len(value) > self.max_length:
            return value, f"{self.title} takes at most {self.max_length} characters."
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            return value, f"{self.title} {self.pattern_message}."
        if self.choices is not None and value not in self.choices:
            return value, f"{self.title} is not one of the choices."
        if self.check is not None:
            return value, self.check(value)
        return value, None


@dataclass(frozen=True)
class FileInfo:
    """What the browser says about a chosen file before sending it (name, size, type): enough
    to refuse an oversize or wrongly typed file while the person is still on the form. The
    upload itself is checked again by its content."""

    filename: str
    size: int
    declared_type: str


@dataclass(frozen=True)
class FileField:
    """A file input: at most `max_files` files of at most `max_size` bytes each, of a type in
    `accept` ("image/png", or a family "image/*") decided by the file's first bytes."""

    name: str
    label: str = ""
    required: bool = False
    max_size: int = 1024 * 1024
    max_files: int = 1
    accept: tuple[str, ...] = ("image/*", "application/pdf")
    accept_label: str = ""
    """How the refusal names the accepted types ("images or PDF"); default: the list."""

    def __post_init__(self) -> None:
        _check_name("field", self.name)
        if self.max_size <= 0 or self.max_files <= 0:
            raise ValueError(f"liveui: FileField {self.name!r}: limits must be positive")

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    @property
    def kinds(self) -> str:
        return self.accept_label or ", ".join(self.accept)

    def too_large(self, filename: str) -> str:
        return f"{filename or 'The file'} is larger than {_size(self.max_size)}."

    def wrong_type(self, filename: str, content_type: str) -> str:
        return f"{filename or 'The file'} is {content_type}; only {self.kinds} can be uploaded."

    def too_many(self) -> str:
        return f"At most {self.max_files} file{'s' if self.max_files != 1 else ''} can be sent."

    def check_info(self, files: Iterable[FileInfo]) -> str | None:
        """The early check, on what the browser says (the submit checks the bytes)."""
        chosen = list(files)
        if not chosen:
            return f"{self.title} is required." if self.required else None
        if len(chosen) > self.max_files:
            return self.too_many()
        for info in chosen:
            if info.size > self.max_size:
                return self.too_large(info.filename)
            if info.declared_type and not type_matches(info.declared_type, self.accept):
                return self.wrong_type(info.filename, info.declared_type)
        return None

    def check_uploads(self, uploads: list[UploadedFile]) -> str | None:
        if not uploads:
            return f"{self.title} is required." if self.required else None
        for upload in uploads:
            if upload.refused:
                return upload.refused
        return None

    def accepts(self, content_type: str) -> bool:
        return type_matches(content_type, self.accept)


AnyField = TextField | FileField


@dataclass
class Validation:
    """The outcome: cleaned `values` (a text field's str; a file field's list of
    `UploadedFile`) and `errors`, one message per field name ("" for the whole form)."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


class Form:
    def __init__(
        self,
        name: str,
        *fields: AnyField,
        check: Callable[[dict[str, Any]], Mapping[str, str] | None] | None = None,
        field_limit: int = 16 * 1024,
    ) -> None:
        """`check(values)`: rules across fields, run when every field is valid; returns
        messages by field name. `field_limit`: the bytes a text field may send."""
        _check_name("form", name)
        names = [f.name for f in fields]
        if len(set(names)) != len(names):
            raise ValueError(f"liveui: Form {name!r} declares a field twice")
        self.name = name
        self.fields: dict[str, AnyField] = {f.name: f for f in fields}
        self.check = check
        self.field_limit = field_limit

    @property
    def file_fields(self) -> list[FileField]:
        return [f for f in self.fields.values() if isinstance(f, FileField)]

    @property
    def max_body(self) -> int:
        """The largest body a valid submit can have: every file at its limit, every text field
        at `field_limit`, and room for the multipart framing."""
        files = sum(f.max_size * f.max_files for f in self.file_fields)
        return files + (len(self.fields) + 8) * (self.field_limit + 1024)

    def error_id(self, field_name: str) -> str:
        """The id of the element showing `field_name`'s message."""
        return f"liveui-error-{self.name}-{field_name}"

    def validate(
        self,
        data: Mapping[str, str],
        files: Mapping[str, list[UploadedFile]] | None = None,
        *,
        infos: Mapping[str, list[FileInfo]] | None = None,
        only: Collection[str] | None = None,
    ) -> Validation:
        """Check `data` (text fields) and either `files` (a submit: what arrived) or `infos`
        (a change: what the browser says about the chosen files). `only`: report just these
        fields (the ones the person has touched so far)."""
        result = Validation()
        for name, declared in self.fields.items():
            if only is not None and name not in only:
                continue
            if isinstance(declared, TextField):
                value, error = declared.clean(data.get(name))
                result.values[name] = value
            elif files is not None:
                uploads = list(files.get(name, []))
                result.values[name] = uploads
                error = declared.check_uploads(uploads)
            else:
                error = declared.check_info((infos or {}).get(name, []))
            if error:
                result.errors[name] = error
        if result.ok and only is None and self.check is not None:
            result.errors.update(self.check(result.values) or {})
        return result

    def __repr__(self) -> str:
        return f"Form({self.name!r}, fields={list(self.fields)})"
