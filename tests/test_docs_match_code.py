"""Numbers and tables the docs state, checked against the code that has them."""

from __future__ import annotations

import re
from pathlib import Path

from liveui.testing import channels as channel_testing
from liveui.testing import dispatch as dispatch_testing
from liveui.user_events import RENAMED_FIELDS

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _seconds(page: str, pattern: str) -> float:
    found = re.search(pattern, (DOCS / page).read_text().replace("\n", " "))
    assert found is not None, f"{page} no longer says {pattern!r}"
    return float(found.group(1))


def test_channel_assertion_timeouts_are_the_ones_documented() -> None:
    waits = _seconds("channels.md", r"Every assertion waits up to a timeout \(([\d.]+) s by")
    assert waits == channel_testing.DEFAULT_TIMEOUT
    refutes = _seconds("channels.md", r"`refute_push` watches for ([\d.]+) s")
    assert refutes == channel_testing.REFUTE_TIMEOUT


def test_dispatch_assertion_timeout_is_the_one_documented() -> None:
    waits = _seconds("dispatch.md", r"Assertions wait \(([\d.]+) s by default\)")
    assert waits == dispatch_testing.DEFAULT_TIMEOUT


def test_the_renamed_fields_table_lists_every_renamed_field() -> None:
    text = (DOCS / "coming-from-phoenix.md").read_text()
    section = text.split("## Field names on the wire", 1)[1].split("\n## ", 1)[0]
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("| `")
    ]
    documented = {(events, ash, liveui) for events, ash, liveui in rows}
    expected = {
        (", ".join(f"`{e}`" for e in f.events), f"`{f.path}{f.ash}`", f"`{f.path}{f.liveui}`")
        for f in RENAMED_FIELDS
    }
    assert documented == expected
