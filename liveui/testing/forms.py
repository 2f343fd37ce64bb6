"""Live forms without a browser: the real form endpoint, over the ASGI interface.

    result = await tab.submit("open_ticket", {"subject": "Printer"},
                              files={"attachment": ("a.png", png_bytes, "image/png")})
    assert result.ok and result.flash == "Ticket #1 opened"
    result = await tab.validate("open_ticket", {"subject": "ab"}, touched=["subject"])
    assert result.errors == {"subject": "Subject needs at least 3 characters."}

A request goes through everything a browser's does after the network: the token check (made
for the tab's own session, so the handler's `push_event` and patches reach that tab), the
action budget, the streaming multipart reader with the form's limits, validation, the handler,
and the answer's out-of-band fragments, read back here as `errors` and `flash`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..auth.claims import AuthClaims
from ..live.app_actions import FLASH_ID
from ..live.form_endpoint import FORM_OK_HEADER
from ..live.gate import TOKEN_HEADER
from ..live.session_token import SALT
from ..tokens import sign
from .patches import Patch

if TYPE_CHECKING:
    from ..live.app import LiveUI

__all__ = ["FileUpload", "FormResult", "FormSender"]

FileUpload = tuple[str, bytes, str]
"""`(filename, content, declared content type)`, as a browser sends a chosen file."""


@dataclass
class FormResult:
    """The answer to a validate or submit: HTTP status, each field's message (fields that are
    fine are absent), the flash message, and the raw patch."""

    status: int
    errors: dict[str, str] = field(default_factory=dict)
    flash: str | None = None
    ok: bool = False
    """A successful submit (the page clears the form)."""
    patch: Patch | None = None
    text: str = ""


class FormSender:
    """Posts to one app's form endpoint as one tab (its user and session)."""

    def __init__(self, live: LiveUI, user_id: Any, session_id: str) -> None:
        self.live = live
        claims = AuthClaims(user_id, f"test-login-{session_id}", 0)
        self.token = sign(live.tokens.secret_key, {"s": session_id, **claims.to_json()}, salt=SALT)
        self._client: Any = None

    async def _http(self) -> Any:
        if self._client is None:
            try:
                import httpx
            except ImportError:  # pragma: no cover - a dev dependency
                raise RuntimeError("liveui.testing: sending forms needs httpx") from None
            from starlette.applications import Starlette

            app = Starlette(routes=self.live.routes(static=False))
            self._client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://liveui.test"
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def validate(
        self,
        form: str,
        fields: Mapping[str, str],
        *,
        touched: Iterable[str] | None = None,
        files: Mapping[str, Iterable[tuple[str, int, str]]] | None = None,
    ) -> FormResult:
        """A change check: `touched` defaults to every field sent; `files` describes chosen
        files as `(name, size, type)` the way the browser does before sending them."""
        names = list(touched) if touched is not None else [*fields, *(files or {})]
        described = {
            key: [{"name": n, "size": s, "type": t} for n, s, t in chosen]
            for key, chosen in (files or {}).items()
        }
        body = {**fields, "liveui_touched": ",".join(names),
                "liveui_files": json.dumps(described)}
        client = await self._http()
        response = await client.post(
            self._url(form, "validate"), data=body, headers={TOKEN_HEADER: self.token}
        )
        return _result(response)

    async def submit(
        self,
        form: str,
        fields: Mapping[str, str],
        *,
        files: Mapping[str, FileUpload | list[FileUpload]] | None = None,
    ) -> FormResult:
        """A submit as htmx sends it: multipart, with the files' bytes."""
        parts: list[tuple[str, Any]] = []
        for key, value in (files or {}).items():
            for upload in value if isinstance(value, list) else [value]:
                parts.append((key, upload))
        client = await self._http()
        response = await client.post(
            self._url(form, "submit"),
            data=dict(fields),
            files=parts or None,  # none: urlencoded, as a form without a file input
            headers={TOKEN_HEADER: self.token},
        )
        return _result(response)

    def _url(self, form: str, phase: str) -> str:
        return f"{self.live.url('form')}?form={form}&phase={phase}"


def _result(response: Any) -> FormResult:
    text = response.text
    patch = Patch.parse("", text) if "<" in text else None
    errors: dict[str, str] = {}
    flash: str | None = None
    for element in patch.elements if patch is not None else []:
        name = element.attrs.get("data-error-for")
        if name is not None and element.text:
            errors[name] = element.text
        elif element.id == FLASH_ID and element.text:
            flash = element.text
    ok = response.headers.get(FORM_OK_HEADER) == "ok"
    return FormResult(response.status_code, errors, flash, ok, patch, text)
