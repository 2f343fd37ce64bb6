"""Uploads streamed to disk under a form's limits, on a real uvicorn server: what is accepted is
kept whole, what is refused (too large, wrong type by content, too many, undeclared) is explained
and deleted, a cancelled upload leaves nothing behind, and memory stays flat whatever the size."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from liveui import FileField, Form, TextField, receive_form
from liveui.live.uploads import TEMP_PREFIX, BodyTooLarge, sweep_stale_uploads
from liveui.testing import LiveServer, serve
from tests.support.waiting import block_until

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
UPLOAD = Form(
    "upload",
    TextField("note"),
    FileField("doc", max_size=64 * 1024, max_files=2, accept=("image/png", "application/pdf")),
)
BIG = Form("big", FileField("doc", max_size=100 * 1024 * 1024, accept=("image/png",)))
FORMS = {"upload": UPLOAD, "big": BIG}


class Folders:
    def __init__(self, root: Path) -> None:
        self.uploads = root / "uploads"
        self.kept = root / "kept"
        self.uploads.mkdir()
        self.kept.mkdir()
        self.disconnects = 0

    def leftovers(self) -> list[str]:
        return sorted(p.name for p in self.uploads.iterdir())


def make_app(folders: Folders) -> Starlette:
    async def upload(request: Request) -> Response:
        form = FORMS[request.path_params["form"]]
        try:
            received = await receive_form(request, form, upload_dir=folders.uploads)
        except BodyTooLarge as exc:
            return PlainTextResponse(str(exc), status_code=413, headers={"Connection": "close"})
        except ClientDisconnect:
            folders.disconnects += 1
            raise
        async with received:
            result = form.validate(received.fields, received.files)
            errors = {**result.errors, **received.errors}
            kept = {}
            if not errors:
                for item in result.values.get("doc", []):
                    kept[item.filename] = [item.size, item.content_type]
                    item.move_to(folders.kept / item.filename)
            return JSONResponse({"errors": errors, "fields": received.fields, "kept": kept})

    return Starlette(routes=[Route("/{form}", upload, methods=["POST"])])


@pytest.fixture
def folders(tmp_path: Path) -> Folders:
    return Folders(tmp_path)


@pytest.fixture
def server(folders: Folders) -> Iterator[LiveServer]:
    with serve(make_app(folders), timeout_graceful_shutdown=1) as running:
        yield running


def post(server: LiveServer, files: Any, data: dict[str, str] | None = None,
         form: str = "upload") -> dict[str, Any]:
    response = httpx.post(f"{server.url}/{form}", files=files, data=data or {}, timeout=30)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_an_accepted_file_is_kept_whole_and_nothing_else_stays(
    server: LiveServer, folders: Folders
) -> None:
    pdf = b"%PDF-1.4\n" + b"x" * 5000
    answer = post(server, [("doc", ("shot.png", PNG, "image/png")),
                           ("doc", ("bill.pdf", pdf, "application/pdf"))], {"note": "hi"})
    assert answer == {"errors": {}, "fields": {"note": "hi"}, "kept": {
        "shot.png": [len(PNG), "image/png"], "bill.pdf": [len(pdf), "application/pdf"]}}
    assert (folders.kept / "shot.png").read_bytes() == PNG
    assert (folders.kept / "bill.pdf").read_bytes() == pdf
    assert folders.leftovers() == []


def test_an_oversize_file_is_refused_and_deleted(server: LiveServer, folders: Folders) -> None:
    answer = post(server, [("doc", ("huge.png", PNG * 40, "image/png"))])
    assert answer["errors"] == {"doc": "huge.png is larger than 64 KB."}
    assert answer["kept"] == {}
    assert folders.leftovers() == []


def test_the_type_comes_from_the_content_not_the_name(
    server: LiveServer, folders: Folders
) -> None:
    answer = post(server, [("doc", ("invoice.pdf", b"MZ\x90\x00program", "application/pdf"))])
    assert answer["errors"] == {
        "doc": "invoice.pdf is application/octet-stream; only image/png, application/pdf can "
               "be uploaded."}
    answer = post(server, [("doc", ("notes.png", b"plain words\n", "image/png"))])
    assert answer["errors"] == {
        "doc": "notes.png is text/plain; only image/png, application/pdf can be uploaded."}
    assert folders.leftovers() == []


def test_too_many_files_and_undeclared_ones_are_refused(
    server: LiveServer, folders: Folders
) -> None:
    answer = post(server, [("doc", (f"{i}.png", PNG, "image/png")) for i in range(3)])
    assert answer["errors"] == {"doc": "At most 2 files can be sent."}
    answer = post(server, [("doc", ("a.png", PNG, "image/png")),
                           ("other", ("b.png", PNG, "image/png"))])
    assert answer["errors"] == {"": "The form has no file field 'other'."}
    assert answer["kept"] == {}
    assert folders.leftovers() == []


def test_a_text_field_over_its_limit_is_refused(server: LiveServer, folders: Folders) -> None:
    long = "x" * (UPLOAD.field_limit + 1)
    answer = post(server, [("doc", ("a.png", PNG, "image/png"))], {"note": long, "other": "y"})
    assert answer["errors"] == {"note": "Note is too long."}
    answer = post(server, [("doc", ("a.png", PNG, "image/png"))], {"extra": long})
    assert answer["errors"] == {"": "The form sent a field that is too long."}
    assert folders.leftovers() == []


def test_an_empty_file_input_sends_no_file(server: LiveServer, folders: Folders) -> None:
    # What a browser sends for a file input with nothing chosen: an empty part, no filename.
    body = (b'--XyZ\r\nContent-Disposition: form-data; name="note"\r\n\r\nx\r\n'
            b'--XyZ\r\nContent-Disposition: form-data; name="doc"; filename=""\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n\r\n--XyZ--\r\n")
    response = httpx.post(f"{server.url}/upload", content=body,
                          headers={"Content-Type": "multipart/form-data; boundary=XyZ"})
    assert response.json() == {"errors": {}, "fields": {"note": "x"}, "kept": {}}
    assert folders.leftovers() == []


def raw_upload(server: LiveServer, body_size: int, first: bytes) -> socket.socket:
    """A multipart POST declaring `body_size` bytes, of which only `first` is sent."""
    sock = socket.create_connection((server.host, server.port))
    sock.sendall(
        b"POST /upload HTTP/1.1\r\nHost: test\r\n"
        b"Content-Type: multipart/form-data; boundary=XyZ\r\n"
        + f"Content-Length: {body_size}\r\n\r\n".encode()
        + first
    )
    return sock


PART = (b"--XyZ\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.png\"\r\n"
        b"Content-Type: image/png\r\n\r\n")


def test_a_cancelled_upload_leaves_nothing_behind(server: LiveServer, folders: Folders) -> None:
    sock = raw_upload(server, 60_000, PART + PNG * 2)
    try:
        # The file is being written: a temporary file with some bytes in it.
        block_until(lambda: [p for p in folders.uploads.iterdir() if p.stat().st_size > 0],
                    what="the upload's temporary file")
        assert all(name.startswith(TEMP_PREFIX) for name in folders.leftovers())
    finally:
        sock.close()  # the person cancels: the connection goes away mid-file
    block_until(lambda: folders.disconnects == 1, what="the server noticing the cancel")
    block_until(lambda: folders.leftovers() == [], what="the temporary file deleted")


def test_a_body_far_beyond_the_limits_is_refused_before_it_is_read(
    server: LiveServer, folders: Folders
) -> None:
    sock = raw_upload(server, 500 * 1024 * 1024, PART)
    try:
        sock.settimeout(10)
        answer = sock.recv(4096)
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 413")
    assert folders.leftovers() == []


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.parametrize(("form", "declared", "refusal"), [
    # Named like a PNG, declared small enough, but a text inside: read to the end, dropped.
    ("big", b"", "doc.png is text/plain"),
    # Far over the form's limits: cut off after a few MB.
    ("upload", b"", None),
])
def test_memory_stays_flat_while_a_50_mb_upload_is_refused(
    server: LiveServer, folders: Folders, form: str, declared: bytes, refusal: str | None
) -> None:
    chunk = b"plain text, line after line\n" * 2341  # ~64 KB
    total = 50 * 1024 * 1024

    def body() -> Iterator[bytes]:
        yield PART.replace(b"a.png", b"doc.png")
        sent = 0
        while sent < total:
            yield chunk
            sent += len(chunk)
        yield b"\r\n--XyZ--\r\n"

    peak, start, done = [0], rss(), threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            peak[0] = max(peak[0], rss())

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        response = httpx.post(
            f"{server.url}/{form}", content=body(), timeout=60,
            headers={"Content-Type": "multipart/form-data; boundary=XyZ"},
        )
    finally:
        done.set()
        sampler.join()
    if refusal is None:
        assert response.status_code == 413
    else:
        assert response.status_code == 200
        assert refusal in response.json()["errors"]["doc"]
    growth = peak[0] - start
    assert growth < 20 * 1024 * 1024, f"memory grew {growth / 1e6:.1f} MB for a 50 MB upload"
    assert folders.leftovers() == []


def test_stale_temporary_files_of_a_dead_process_are_swept(tmp_path: Path) -> None:
    old, fresh, other = (tmp_path / f"{TEMP_PREFIX}old.part", tmp_path / f"{TEMP_PREFIX}new.part",
                         tmp_path / "kept.png")
    for path in (old, fresh, other):
        path.write_bytes(b"x")
    os.utime(old, (1_000_000, 1_000_000))
    assert sweep_stale_uploads(tmp_path, max_age=3600) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([fresh.name, other.name])
