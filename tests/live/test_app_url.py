"""`app_url`: an app path behind the prefix the app is mounted under — the request's
`root_path` when a request is at hand, else the one the app was last served under."""

from __future__ import annotations

import logging

import jinja2
import pytest
from starlette.requests import Request

from liveui import LiveUI, Node


def make_live() -> LiveUI:
    return LiveUI(node=Node(), secret_key="s" * 40, get_user_id=lambda r: None)


def request_under(root: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": f"{root}/x", "root_path": root,
                    "headers": []})


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/tickets/2/close", "/desk/tickets/2/close"), ("/", "/desk/"),
     ("https://example.com/a", "https://example.com/a"),
     ("//cdn.example.com/a", "//cdn.example.com/a"),
     ("relative/path", "relative/path"), ("?page=2", "?page=2")],
)
def test_only_app_paths_get_the_prefix(path: str, expected: str) -> None:
    assert make_live().app_url(path, request_under("/desk")) == expected


def test_without_a_request_the_learned_root_is_used(caplog: pytest.LogCaptureFixture) -> None:
    live = make_live()
    assert live.app_url("/orders") == "/orders"  # not served yet: no prefix known
    live.learn_root_path(request_under("/desk/").scope)
    assert live.root_path == "/desk"
    assert live.app_url("/orders") == "/desk/orders"
    with caplog.at_level(logging.WARNING, logger="liveui.live"):
        live.learn_root_path(request_under("/other").scope)
        live.learn_root_path(request_under("/desk").scope)
    assert len([r for r in caplog.records if "two prefixes" in r.getMessage()]) == 1


def test_the_template_global_reads_the_request_then_the_learned_root() -> None:
    live = make_live()
    env = jinja2.Environment(autoescape=True)
    live.install_templates(env)
    template = env.from_string('<form action="{{ app_url(\'/t/1/close\') }}">')
    assert template.render(request=request_under("/desk")) == '<form action="/desk/t/1/close">'
    assert template.render() == '<form action="/t/1/close">'
    live.learn_root_path(request_under("/help").scope)
    assert template.render() == '<form action="/help/t/1/close">'
