"""Live forms: `POST <prefix>/form?form=<name>&phase=validate|submit` (liveui-forms.js).

`validate` (while the person types, debounced, and when a field is left): the text fields, the
names of the fields touched so far (`liveui_touched`) and what the browser says about chosen
files (`liveui_files`, JSON); the answer replaces the touched fields' messages. Nothing runs.

`submit` (the form's own submit, sent by htmx, files included): the body is streamed under the
form's limits (`uploads.receive_form`), validated by the same `Form`, and then — only when every
field is fine — the registered handler runs as the token's user. The answer is out-of-band
swaps: every field's message (empty when fine) and the flash; a success also carries the header
`X-LiveUI-Form: ok`, on which liveui-forms.js clears the form.

CSRF and limits as for every live action: the live token in `X-LiveUI-Token` (403 without),
the user's action budget (429), then the form's own limits: a body beyond what the form could
need is refused before it is read (413, the reason next to the file fields).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import escape
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from .._utils import maybe_await
from ..errors import EventRejected
from .app_actions import flash_html
from .form import FieldErrors, FileInfo, Form
from .fragment import _with_oob
from .uploads import BodyTooLarge, receive_form

if TYPE_CHECKING:
    from .gate import Gate
    from .render import Renderer

__all__ = ["FORM_OK_HEADER", "FormHandler", "RegisteredForm", "field_error_html", "form_endpoint"]

log = logging.getLogger("liveui.live")

FormHandler = Callable[[Request, Any, dict[str, Any]], "Awaitable[str | None] | str | None"]
"""`(request, user_id, values)` -> the flash message (or None). Raise `FieldErrors` to refuse
with per-field messages, `EventRejected` to refuse with a flash."""

FORM_OK_HEADER = "X-LiveUI-Form"
"""Set to "ok" on a successful submit's answer: the page clears the form."""

MAX_TOUCHED = 64


@dataclass(frozen=True)
class RegisteredForm:
    form: Form
    handler: FormHandler
    upload_dir: Path | None = None


def field_error_html(renderer: Renderer, form: Form, field_name: str, message: str = "") -> str:
    return renderer.render(
        "liveui/field_error.html", id=form.error_id(field_name), field=field_name, message=message
    )


def _answer(
    renderer: Renderer,
    form: Form,
    errors: Mapping[str, str],
    fields: list[str],
    *,
    status: int,
    flash: str | None = None,
    kind: str = "info",
) -> HTMLResponse:
    parts = [
        _with_oob(field_error_html(renderer, form, name, errors.get(name, "")), "true")
        for name in fields
    ]
    if flash is not None:
        parts.append(_with_oob(flash_html(renderer, flash, kind), "true"))
    return HTMLResponse("".join(parts), status_code=status)


async def form_endpoint(
    request: Request, gate: Gate, forms: Mapping[str, RegisteredForm], renderer: Renderer
) -> Response:
    token = gate.token_of(request, "form refused")
    if isinstance(token, Response):
        return token
    if not gate.allow_action(token.user_id, time.monotonic()):
        return PlainTextResponse(
            "too many actions; slow down", status_code=429, headers={"Retry-After": "1"}
        )
    name = request.query_params.get("form", "")
    registered = forms.get(name)
    if registered is None:
        return PlainTextResponse(f"no live form named {escape(name)!s}", status_code=404)
    if request.query_params.get("phase") == "validate":
        return await _validate(request, gate, registered.form, renderer)
    return await _submit(request, token.user_id, registered, renderer)


async def _validate(request: Request, gate: Gate, form: Form, renderer: Renderer) -> Response:
    limit = gate.settings.max_message_size
    declared = request.headers.get("content-length", "")
    if not declared.isascii() or not declared.isdigit() or int(declared[:12]) > limit:
        return PlainTextResponse("validation body too large or without a length", 413)
    try:
        data = await request.form(max_files=0, max_fields=len(form.fields) + 8,
                                  max_part_size=form.field_limit)
    except Exception:
        return PlainTextResponse("unreadable form", status_code=400)
    fields = {k: v for k, v in data.items() if isinstance(v, str)}
    touched = [t for t in fields.get("liveui_touched", "").split(",")[:MAX_TOUCHED]
               if t in form.fields]
    result = form.validate(fields, infos=_file_infos(fields.get("liveui_files")), only=touched)
    return _answer(renderer, form, result.errors, touched, status=200)


def _file_infos(raw: str | None) -> dict[str, list[FileInfo]]:
    """`{"field": [{"name": ..., "size": ..., "type": ...}]}` as the browser describes the
    chosen files; anything malformed counts as no description."""
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {}
    infos: dict[str, list[FileInfo]] = {}
    if not isinstance(data, dict):
        return infos
    for field_name, files in data.items():
        if not isinstance(files, list):
            continue
        for item in files[:100]:
            if isinstance(item, dict) and isinstance(item.get("size"), int):
                infos.setdefault(str(field_name), []).append(
                    FileInfo(str(item.get("name", ""))[:255], item["size"],
                             str(item.get("type", ""))[:100])
                )
    return infos


async def _submit(
    request: Request, user_id: Any, registered: RegisteredForm, renderer: Renderer
) -> Response:
    form = registered.form
    every = list(form.fields)
    try:
        received = await receive_form(request, form, upload_dir=registered.upload_dir)
    except BodyTooLarge:
        errors = {f.name: f.too_large("The upload") for f in form.file_fields}
        response = _answer(renderer, form, errors, every, status=413,
                           flash=None if errors else "The form is too large.", kind="error")
        response.headers["Connection"] = "close"  # the rest of the body is never read
        return response
    except ClientDisconnect:
        return Response(status_code=400)  # the upload was cancelled; nobody reads this
    async with received:
        result = form.validate(received.fields, received.files)
        errors = {**result.errors, **received.errors}
        if errors:
            return _answer(renderer, form, errors, every, status=422,
                           flash=errors.get(""), kind="error")
        try:
            message = await maybe_await(registered.handler(request, user_id, result.values))
        except FieldErrors as exc:
            return _answer(renderer, form, exc.errors, every, status=422,
                           flash=exc.errors.get(""), kind="error")
        except EventRejected as exc:
            return _answer(renderer, form, {}, every, status=exc.status, flash=exc.reason,
                           kind="error")
        except Exception:
            log.exception("liveui: the live form %r failed", form.name)
            return _answer(renderer, form, {}, every, status=500,
                           flash="The form could not be sent; please try again.", kind="error")
    response = _answer(renderer, form, {}, every, status=200, flash=message)
    response.headers[FORM_OK_HEADER] = "ok"
    return response
