"""`Patch`: what a live tab was sent, parsed — its top-level elements by id, their HTML and
text, and the events for the tab's client hooks it carried. Shared by the tab harness
(`testing.live`) and the form sender (`testing.forms`)."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, NamedTuple

__all__ = ["ClientEvent", "Patch", "PatchElement"]


class ClientEvent(NamedTuple):
    """An event the server pushed to a tab's client hooks (`ctx.push_event`)."""

    event: str
    payload: Any


_EVENT = re.compile(r'data-liveui-event="([^"]*)" data-liveui-payload="([^"]*)"')


@dataclass
class PatchElement:
    """One top-level element of a patch: its id, its hx-swap-oob value, its HTML and text."""

    id: str
    oob: str
    tag: str
    attrs: dict[str, str | None]
    html: str = ""
    text: str = ""


class _Parser(HTMLParser):
    _VOID = frozenset(
        ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr")
    )

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.elements: list[PatchElement] = []
        self._depth = 0
        self._templates = 0
        self._start = 0
        self._text: list[str] = []
        self._lines = [0]
        for line in source.splitlines(keepends=True):
            self._lines.append(self._lines[-1] + len(line))

    def _offset(self) -> int:
        line, col = self.getpos()
        return self._lines[line - 1] + col

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "template" and self._depth == 0:
            self._templates += 1  # a wrapper for table parts: its children are the patch's
            return
        if self._depth == 0:
            values = dict(attrs)
            self.elements.append(
                PatchElement(values.get("id") or "", values.get("hx-swap-oob") or "", tag, values)
            )
            self._start = self._offset()
            self._text = []
        if tag not in self._VOID:
            self._depth += 1
        elif self._depth == 0:
            self._finish(self._offset() + len(self.get_starttag_text() or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in self._VOID:
            return
        if tag == "template" and self._depth == 0 and self._templates:
            self._templates -= 1
            return
        self._depth -= 1
        if self._depth == 0 and self.elements:
            end = self.source.find(">", self._offset()) + 1
            self._finish(end)

    def handle_data(self, data: str) -> None:
        if self._depth > 0:
            self._text.append(data)

    def _finish(self, end: int) -> None:
        element = self.elements[-1]
        element.html = self.source[self._start : end]
        element.text = " ".join("".join(self._text).split())


@dataclass
class Patch:
    """One patch as a tab receives it (the text of an SSE `patch` event or a WS frame)."""

    event_id: str
    html: str
    elements: list[PatchElement] = field(default_factory=list)

    @classmethod
    def parse(cls, event_id: str, html: str) -> Patch:
        parser = _Parser(html)
        parser.feed(html)
        parser.close()
        return cls(event_id, html, parser.elements)

    @property
    def ids(self) -> list[str]:
        """Ids of replaced or deleted elements; inserts are listed by their wrapper's target."""
        return [e.id or e.oob for e in self.elements]

    def element(self, element_id: str) -> PatchElement:
        for e in self.elements:
            if e.id == element_id:
                return e
        raise AssertionError(f"the patch has no element #{element_id}: {self.ids}")

    def text(self, element_id: str) -> str:
        return self.element(element_id).text

    def inserts(self) -> list[PatchElement]:
        return [e for e in self.elements if ":" in e.oob]

    @property
    def events(self) -> list[ClientEvent]:
        """The events for the tab's client hooks this patch carries, in order."""
        found = []
        for match in _EVENT.finditer(self.html):
            found.append(ClientEvent(html.unescape(match[1]), json.loads(html.unescape(match[2]))))
        return found
