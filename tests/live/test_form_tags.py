"""The live-form template tags: the attributes that make a form live, the field message
elements, and clear errors for a name that is not registered."""

from __future__ import annotations

import pytest

from liveui import FileField, Form, TextField
from liveui.testing import live_harness

FORM = Form("contact", TextField("email", required=True),
            FileField("cv", accept=("application/pdf",)))
PLAIN = Form("search", TextField("q"))


async def test_live_form_and_field_errors_render() -> None:
    async with live_harness() as harness:
        live = harness.live
        live.form(FORM)(lambda request, user_id, values: None)
        live.form(PLAIN)(lambda request, user_id, values: None)
        env = live.renderer.env
        page = env.from_string(
            '<form {{ live_form("contact") }}>'
            '{{ live_field_error("contact", "email", {"email": "<b>bad</b>"}) }}'
            '{{ live_field_error("contact", "cv") }}</form><form {{ live_form("search") }}>'
        ).render()
        assert 'data-liveui-form="contact"' in page
        assert 'hx-post="/liveui/form?form=contact&amp;phase=submit"' in page
        assert 'enctype="multipart/form-data"' in page.split("<form", 2)[1]  # it has a file
        assert "enctype" not in page.split("<form", 2)[2]  # a form without files: no need
        assert 'hx-sync="this:drop"' in page
        assert ('<p id="liveui-error-contact-email" class="liveui-field-error" '
                'data-error-for="email" role="alert">&lt;b&gt;bad&lt;/b&gt;</p>') in page
        assert 'id="liveui-error-contact-cv"' in page and "hidden" in page  # empty: hidden


async def test_unknown_names_are_explained() -> None:
    async with live_harness() as harness:
        live = harness.live
        live.form(FORM)(lambda request, user_id, values: None)
        env = live.renderer.env
        with pytest.raises(RuntimeError, match=r"no live form named 'other'.*contact"):
            env.from_string('{{ live_form("other") }}').render()
        with pytest.raises(RuntimeError, match="has no field 'phone'"):
            env.from_string('{{ live_field_error("contact", "phone") }}').render()
        with pytest.raises(ValueError, match="already registered"):
            live.form(FORM)(lambda request, user_id, values: None)
