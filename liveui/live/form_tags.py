"""The live-form template globals (installed with the other tags):

    <form method="post" action="/tickets/open" {{ live_form("open_ticket") }}>
      <input name="subject">  {{ live_field_error("open_ticket", "subject", errors) }}
      <button data-disable-with="Opening…">Open</button>
    </form>

`live_form(name)` writes the attributes that make a form live: htmx posts it to the form
endpoint (files included, `multipart/form-data`), a second submit while one runs is dropped,
and liveui-forms.js checks its fields while they change. Without JavaScript the form posts to
its own `action` (the app reads it with `receive_form` and the same `Form`).
`live_field_error(name, field, errors)` writes the element that shows a field's message —
`errors` (a mapping, e.g. what the plain POST found) fills it on first paint.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from markupsafe import Markup, escape

from .form_endpoint import RegisteredForm, field_error_html
from .render import Renderer

__all__ = ["form_globals"]


def form_globals(
    forms: Mapping[str, RegisteredForm], form_url: str, renderer: Callable[[], Renderer]
) -> dict[str, Callable[..., Markup]]:
    def registered(name: str) -> RegisteredForm:
        found = forms.get(name)
        if found is None:
            raise RuntimeError(
                f"liveui: no live form named {name!r}; register it with @live.form(Form({name!r}, "
                f"...)) (registered: {', '.join(sorted(forms)) or 'none'})"
            )
        return found

    def live_form(name: str) -> Markup:
        form = registered(name).form
        url = f"{form_url}?form={name}&phase=submit"
        enctype = ' enctype="multipart/form-data"' if form.file_fields else ""
        return Markup(
            f'data-liveui-form="{escape(name)}" hx-post="{escape(url)}"'
            ' hx-encoding="multipart/form-data" hx-swap="none" hx-sync="this:drop"'
            f"{enctype}"
        )

    def live_field_error(
        name: str, field: str, errors: Mapping[str, str] | None = None
    ) -> Markup:
        form = registered(name).form
        if field not in form.fields:
            raise RuntimeError(f"liveui: the live form {name!r} has no field {field!r}")
        message = (errors or {}).get(field, "")
        return Markup(field_error_html(renderer(), form, field, message))

    return {"live_form": live_form, "live_field_error": live_field_error}
