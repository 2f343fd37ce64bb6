"""The one rule a live collection's row template must keep: its root element carries
`id="{{ row_id }}"`.

Patches find rows by that id: without it a row that leaves is never removed and a changed row
is never replaced (the browser only says `htmx:oobErrorNoTarget` in its console). So the first
render of a row is checked, and a template that breaks the rule is refused by name.
"""

from __future__ import annotations

import re

from ..errors import ConfigurationError

__all__ = ["check_row_root"]

_ROOT = re.compile(r"^\s*<([a-zA-Z][\w-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_ID = re.compile(r"""(?:^|\s)id\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


def root_id(html: str) -> str | None:
    """The id attribute of the first element of `html` (None: no element, or no id)."""
    root = _ROOT.match(html)
    if root is None:
        return None
    found = _ID.search(root.group(2))
    if found is None:
        return None
    return next(value for value in found.groups() if value is not None)


def check_row_root(html: str, row_id: str, template: str, owner: str) -> None:
    """Raise `ConfigurationError` unless `html` is one element whose id is `row_id`."""
    if root_id(html) == row_id:
        return
    start = html.strip()[:80]
    raise ConfigurationError(
        f"liveui: {owner}.row_template {template!r} must render one element whose root carries "
        f'id="{{{{ row_id }}}}" (it rendered {start!r}); without that id a row cannot be '
        "replaced or removed when it changes or leaves"
    )
