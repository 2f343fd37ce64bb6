"""`Form`: one declaration, checked per field while typing and as a whole on submit."""

from __future__ import annotations

from pathlib import Path

import pytest

from liveui import FieldErrors, FileField, Form, TextField, UploadedFile
from liveui.live.form import FileInfo

TICKET = Form(
    "ticket",
    TextField("subject", required=True, min_length=3, max_length=20),
    TextField("priority", choices=("low", "high")),
    TextField("code", pattern=r"[A-Z]{3}", pattern_message="must be three capital letters"),
    FileField("attachment", max_size=1000, max_files=2, accept=("image/*",),
              accept_label="images"),
)


def test_text_rules_report_one_message_per_field_in_order() -> None:
    result = TICKET.validate({"subject": "  ", "priority": "urgent", "code": "abc"}, {})
    assert result.errors == {
        "subject": "Subject is required.",
        "priority": "Priority is not one of the choices.",
        "code": "Code must be three capital letters.",
    }
    assert not result.ok
    assert TICKET.validate({"subject": "ab"}, {}).errors == {
        "subject": "Subject needs at least 3 characters."}
    assert TICKET.validate({"subject": "x" * 21}, {}).errors == {
        "subject": "Subject takes at most 20 characters."}


def test_valid_values_are_cleaned() -> None:
    result = TICKET.validate({"subject": "  Printer  ", "priority": "low", "code": "ABC"}, {})
    assert result.ok
    assert result.values == {"subject": "Printer", "priority": "low", "code": "ABC",
                             "attachment": []}


def test_a_change_check_reports_only_the_touched_fields() -> None:
    result = TICKET.validate({"subject": "ab", "code": "no"}, only=["subject"])
    assert result.errors == {"subject": "Subject needs at least 3 characters."}


def test_the_early_file_check_reads_what_the_browser_says() -> None:
    def check(*infos: FileInfo) -> dict[str, str]:
        return TICKET.validate({"subject": "abc"}, infos={"attachment": list(infos)},
                               only=["attachment"]).errors

    assert check(FileInfo("a.png", 10, "image/png")) == {}
    assert check(FileInfo("a.png", 1001, "image/png")) == {
        "attachment": "a.png is larger than 1000 bytes."}
    assert check(FileInfo("a.txt", 10, "text/plain")) == {
        "attachment": "a.txt is text/plain; only images can be uploaded."}
    assert check(*[FileInfo("a.png", 1, "image/png")] * 3) == {
        "attachment": "At most 2 files can be sent."}


def test_a_refused_upload_is_the_fields_message(tmp_path: Path) -> None:
    refused = UploadedFile("attachment", "a.png", tmp_path / "gone", refused="a.png is too big")
    result = TICKET.validate({"subject": "abc"}, {"attachment": [refused]})
    assert result.errors == {"attachment": "a.png is too big"}


def test_a_cross_field_check_runs_once_every_field_is_fine() -> None:
    def check(values: dict[str, object]) -> dict[str, str]:
        return {"code": "ABC is taken."} if values["code"] == "ABC" else {}

    form = Form("f", TextField("subject", required=True), TextField("code"), check=check)
    assert form.validate({"subject": "", "code": "ABC"}).errors == {
        "subject": "Subject is required."}
    assert form.validate({"subject": "x", "code": "ABC"}).errors == {"code": "ABC is taken."}


def test_bad_declarations_are_refused_at_once() -> None:
    with pytest.raises(ValueError, match="must start with a letter"):
        Form("bad name", TextField("a"))
    with pytest.raises(ValueError, match="declares a field twice"):
        Form("f", TextField("a"), TextField("a"))
    with pytest.raises(ValueError, match="min_length > max_length"):
        TextField("a", min_length=5, max_length=2)
    with pytest.raises(ValueError, match="limits must be positive"):
        FileField("f", max_size=0)


def test_field_errors_carry_the_messages() -> None:
    error = FieldErrors({"subject": "Taken.", "": "Try later."})
    assert error.errors == {"subject": "Taken.", "": "Try later."}
    assert "subject: Taken." in str(error)
