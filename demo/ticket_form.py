"""The "open a ticket" form: a subject and an optional attachment (an image or a PDF up to 1 MB),
declared once (`TICKET_FORM`) and used three ways — checked while the person types, run as a
live form on submit (no page load: the new row arrives as a live patch), and as a plain POST
with a redirect when JavaScript is off, errors shown next to the fields either way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from liveui import EventRejected, FileField, Form, LiveUI, TextField, UploadedFile, receive_form
from liveui.live.uploads import BodyTooLarge, drain_limit_of

from . import services
from .auth import csrf_matches, require_user
from .models import User

__all__ = ["ERRORS_KEY", "TICKET_FORM", "install_ticket_form", "routes", "upload_limits"]

TICKET_FORM = Form(
    "open_ticket",
    TextField("subject", label="Subject", required=True, min_length=3, max_length=200),
    FileField(
        "attachment",
        label="Attachment",
        max_size=1024 * 1024,
        accept=("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"),
        accept_label="images (PNG, JPEG, GIF, WebP) or PDF",
    ),
)

ERRORS_KEY = "form_errors"
"""Where the plain POST leaves its errors and values for the page it redirects to."""


def upload_limits(prefix: str) -> dict[str, int]:
    """Body limits for the request-size middleware: the form's paths may carry a file."""
    limit = drain_limit_of(TICKET_FORM) + 1  # the form itself refuses, with a reason, below it
    return {f"{prefix.rstrip('/')}/form": limit, "/tickets/open": limit}


def _folders(request: Request) -> tuple[Path, Path]:
    data_dir: Path = request.app.state.config.data_dir
    uploads, attachments = data_dir / "uploads", data_dir / "attachments"
    uploads.mkdir(exist_ok=True)
    attachments.mkdir(exist_ok=True)
    return uploads, attachments


async def open_ticket(request: Request, user: User, values: dict[str, Any]) -> str:
    """Open the ticket; keep its attachment (moved from the upload folder once the ticket is
    committed, so a failure leaves neither a ticket without its file nor a stray file)."""
    files: list[UploadedFile] = values.get("attachment") or []
    async with request.app.state.sessions() as session:
        ticket = await services.open_ticket(session, user, values["subject"])
    message = f"Ticket #{ticket.id} opened: {ticket.subject}."
    for upload in files:
        _, attachments = _folders(request)
        upload.move_to(attachments / f"{ticket.id}-{upload.filename}")
        message += f" Attached {upload.filename} ({upload.size // 1024 or 1} KB)."
    return message


def install_ticket_form(live: LiveUI, data_dir: Path) -> None:
    uploads = data_dir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)

    @live.form(TICKET_FORM, upload_dir=uploads)
    async def live_open_ticket(request: Request, user_id: Any, values: dict[str, Any]) -> str:
        async with request.app.state.sessions() as session:
            user = await session.get(User, int(user_id))
        if user is None:
            raise EventRejected(403, "Your account is gone; log in again.")
        return await open_ticket(request, user, values)


async def open_ticket_without_javascript(request: Request) -> Response:
    """The same form posted by a browser without JavaScript: post, redirect, errors shown."""
    user = await require_user(request)
    uploads, _ = _folders(request)
    try:
        received = await receive_form(request, TICKET_FORM, upload_dir=uploads)
    except BodyTooLarge:
        raise HTTPException(413, "The attachment is far too large.") from None
    async with received:
        if not csrf_matches(request, received.fields.get("csrf_token")):
            raise HTTPException(403, "CSRF token missing or invalid; reload the page and try again")
        result = TICKET_FORM.validate(received.fields, received.files)
        errors = {**result.errors, **received.errors}
        if not errors:
            request.session["flash"] = await open_ticket(request, user, result.values)
        else:
            request.session[ERRORS_KEY] = {
                "errors": errors, "values": {"subject": result.values.get("subject", "")[:200]}
            }
    return RedirectResponse("/tickets", status_code=303)


def routes() -> list[Route]:
    return [Route("/tickets/open", open_ticket_without_javascript, methods=["POST"])]
