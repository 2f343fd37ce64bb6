"""The live form endpoint, driven as a page drives it (`LiveTab.validate` / `submit`): checks
while typing, a submit that runs the handler only when every field is fine, refusals explained
per field, CSRF by the live token, and server events to the tab's hooks."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import jinja2
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from liveui import (
    EventRejected,
    FieldErrors,
    FileField,
    Form,
    LiveComponent,
    LiveContext,
    TextField,
    UploadedFile,
)
from liveui.testing import LiveTab, live_harness

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
TICKET = Form(
    "ticket",
    TextField("subject", required=True, min_length=3),
    FileField("attachment", max_size=1000, accept=("image/png",), accept_label="PNG images"),
)


class Desk(LiveComponent):
    """Answers a hook's "copied" with a server event to the same tab."""

    name = "form_test_desk"
    template = "desk.html"

    async def handle_event(self, event: str, data: Mapping[str, Any], ctx: LiveContext) -> None:
        if event != "copied":
            raise EventRejected(400, "no such event")
        ctx.push_event("copied", {"echo": json.loads(data["payload"])})


class World:
    def __init__(self, tab: LiveTab, folder: Path) -> None:
        self.tab = tab
        self.folder = folder
        self.calls: list[dict[str, Any]] = []


@pytest_asyncio.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with live_harness() as harness:
        live = harness.live
        live.use_environment(jinja2.Environment(loader=jinja2.DictLoader(
            {"desk.html": '<div id="{{ id }}" {{ attrs }}></div>'})))
        uploads = tmp_path / "uploads"
        uploads.mkdir()
        tab = await harness.open("7", Desk())
        world = World(tab, uploads)

        @live.form(TICKET, upload_dir=uploads)
        async def open_ticket(request: Any, user_id: Any, values: dict[str, Any]) -> str:
            files: list[UploadedFile] = values["attachment"]
            world.calls.append({"user": user_id, "subject": values["subject"],
                                "files": [(f.filename, f.content_type, f.read_bytes())
                                          for f in files]})
            if values["subject"] == "taken":
                raise FieldErrors({"subject": "That subject is taken."})
            if values["subject"] == "closed":
                raise EventRejected(409, "The desk is closed.")
            return f"Opened: {values['subject']}"

        try:
            yield world
        finally:
            await tab.aclose()


async def test_a_change_check_reports_the_touched_fields_only(world: World) -> None:
    result = await world.tab.validate("ticket", {"subject": "ab"}, touched=["subject"])
    assert result.status == 200
    assert result.errors == {"subject": "Subject needs at least 3 characters."}
    result = await world.tab.validate(
        "ticket", {"subject": "abc"}, files={"attachment": [("a.txt", 10, "text/plain")]})
    assert result.errors == {"attachment": "a.txt is text/plain; only PNG images can be uploaded."}
    assert world.calls == []  # a check never runs the handler


async def test_a_valid_submit_runs_the_handler_once_and_cleans_up(world: World) -> None:
    result = await world.tab.submit(
        "ticket", {"subject": "  Printer  "}, files={"attachment": ("p.png", PNG, "image/png")})
    assert (result.status, result.ok, result.errors) == (200, True, {})
    assert result.flash == "Opened: Printer"
    assert world.calls == [{"user": "7", "subject": "Printer",
                            "files": [("p.png", "image/png", PNG)]}]
    assert list(world.folder.iterdir()) == []  # the handler kept nothing: deleted


async def test_an_invalid_submit_is_refused_per_field_and_runs_nothing(world: World) -> None:
    result = await world.tab.submit(
        "ticket", {"subject": "x"}, files={"attachment": ("p.png", b"GIF89a...", "image/png")})
    assert (result.status, result.ok) == (422, False)
    assert result.errors == {
        "subject": "Subject needs at least 3 characters.",
        "attachment": "p.png is image/gif; only PNG images can be uploaded.",
    }
    # Every field's message is in the answer, so one fixed since is cleared on the page.
    assert {e.attrs.get("data-error-for") for e in result.patch.elements} >= {  # type: ignore[union-attr]
        "subject", "attachment"}
    assert world.calls == []
    assert list(world.folder.iterdir()) == []


async def test_the_handler_can_refuse_per_field_or_with_a_flash(world: World) -> None:
    result = await world.tab.submit("ticket", {"subject": "taken"})
    assert (result.status, result.errors) == (422, {"subject": "That subject is taken."})
    result = await world.tab.submit("ticket", {"subject": "closed"})
    assert (result.status, result.flash, result.ok) == (409, "The desk is closed.", False)


async def test_user_text_is_escaped_in_the_answer(world: World) -> None:
    result = await world.tab.submit("ticket", {"subject": "<script>alert(1)</script>"})
    assert result.ok
    assert "<script>" not in result.text
    assert result.flash == "Opened: <script>alert(1)</script>"


async def test_a_body_beyond_the_form_is_refused_before_it_is_read(world: World) -> None:
    huge = PNG + b"\x00" * (3 * 1024 * 1024)
    result = await world.tab.submit(
        "ticket", {"subject": "Huge"}, files={"attachment": ("h.png", huge, "image/png")})
    assert result.status == 413
    assert result.errors == {"attachment": "The upload is larger than 1000 bytes."}
    assert world.calls == []
    assert list(world.folder.iterdir()) == []


async def test_a_form_post_needs_the_live_token(world: World) -> None:
    live = world.tab.live
    assert live is not None
    app = Starlette(routes=live.routes(static=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as client:
        url = live.url("form") + "?form=ticket&phase=submit"
        response = await client.post(url, data={"subject": "Forged"})
        assert response.status_code == 403
        response = await client.post(url, data={"subject": "Forged"},
                                     headers={"X-LiveUI-Token": "forged"})
        assert response.status_code == 403
    assert world.calls == []
    result = await world.tab.submit("nope", {"subject": "abc"})
    assert result.status == 404


async def test_a_hook_event_is_answered_to_that_tab(world: World) -> None:
    result = await world.tab.push_hook_event(Desk(), "copied", {"id": 5})
    assert result.ok
    event = await world.tab.next_event()
    assert (event.event, event.payload) == ("copied", {"echo": {"id": 5}})
    # A payload with markup and quotes arrives as it was sent (escaped on the way, not altered).
    tricky = {"text": '<img src=x onerror="alert(1)"> & \'quotes\''}
    assert (await world.tab.push_hook_event(Desk(), "copied", tricky)).ok
    patch = await world.tab.next_patch()
    assert "<img" not in patch.html
    assert patch.events == [("copied", {"echo": tricky})]
    refused = await world.tab.push_hook_event(Desk(), "other")
    assert (refused.status, refused.ok) == (400, False)


@pytest.mark.parametrize("name", ["", "1up", "has space", "x" * 70])
def test_a_bad_event_name_is_refused(name: str) -> None:
    from liveui.live.client_events import client_event_html

    with pytest.raises(ValueError, match="push_event name"):
        client_event_html(name, None)
