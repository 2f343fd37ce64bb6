"""The import graph follows the data: every module of the package is placed in a layer, no
module imports a layer it may not, and inside every package imports run one way.

    base       errors, tokens, ticker, close_codes, user_events, row_events, origin, ratelimit,
               middleware, ws_frames, histogram, worker_processes, log_limit, http_limits,
               trusted_proxies, _utils
    _server    reliance on uvicorn's, websockets' and asyncio's insides (base only)
    pubsub     hub, outbox, backoff, broadcast, backends/
    auth       login claims and revocations (uses the hub)
    node       the runtime (hub + ticker + loop hand-off + lifespan + revocations)
    dispatch | channels | live      (siblings: none imports another)
    codegen    reads dispatch and the wire contract
    server     uvicorn options (the protocols in _server)
    metrics, devpanel    read every part's counts / show a node live
    testing, cli, scaffold, liveui/__init__    the top: may use everything

Checked by parsing every module's imports (TYPE_CHECKING ones included: a type-only arrow is
still an arrow a reader has to follow). A module the table does not place fails the test, so a
new module is placed on purpose (docs/architecture.md lists the same table).
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import liveui

PACKAGE = Path(liveui.__file__).parent
ARCHITECTURE = PACKAGE.parent / "docs" / "architecture.md"

BASE = (
    "errors", "tokens", "ticker", "close_codes", "user_events", "row_events", "_utils", "origin",
    "ratelimit", "middleware", "ws_frames", "histogram", "worker_processes", "log_limit",
    "http_limits", "trusted_proxies",
)
PLACES: dict[str, str] = {
    **{name: "base" for name in BASE},
    "_server": "_server",
    "pubsub": "pubsub",
    "auth": "auth",
    "node": "node",
    "dispatch": "dispatch",
    "channels": "channels",
    "live": "live",
    "codegen": "codegen",
    "server": "server",
    "metrics": "metrics",
    "devpanel": "devpanel",
    "testing": "top",
    "cli": "top",
    "scaffold": "top",
    "": "top",  # the package root: the one public door
}
"""The top-level name of every module (a module, or a package and everything in it) -> its
layer."""

ALLOWED: dict[str, set[str]] = {
    "base": {"base"},
    "_server": {"base", "_server"},
    "pubsub": {"base", "pubsub"},
    "auth": {"base", "pubsub", "auth"},
    "node": {"base", "pubsub", "auth", "node"},
    "dispatch": {"base", "pubsub", "node", "dispatch"},
    "channels": {"base", "pubsub", "auth", "node", "channels"},
    "live": {"base", "_server", "pubsub", "auth", "node", "live"},
    "codegen": {"base", "dispatch", "codegen"},
    "server": {"base", "_server", "server"},
    "metrics": {"base", "pubsub", "auth", "node", "dispatch", "channels", "live", "metrics"},
    "devpanel": {"base", "pubsub", "auth", "node", "channels", "live", "metrics", "devpanel"},
}
"""Layer -> the layers its modules may import; "top" may import anything."""


def layer_of(module: str) -> str | None:
    """`liveui.dispatch.counter_loader` -> "dispatch"; None for a module the table misses."""
    parts = module.split(".")
    return PLACES.get(parts[1] if len(parts) > 1 else "")


def imports_of(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("liveui"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.startswith("liveui"):
                if target == "liveui" or target.count(".") == 0:
                    found.update(f"liveui.{a.name}" for a in node.names)
                else:
                    found.add(target)
    return found


def modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(relative.parts)
        if name.endswith(".__init__"):
            name = name[: -len(".__init__")]
        out.append((name, path))
    return out


def test_every_module_is_placed() -> None:
    unplaced = [module for module, _ in modules() if layer_of(module) is None]
    assert unplaced == [], f"place these in PLACES (and docs/architecture.md): {unplaced}"


def test_no_module_imports_upward_or_sideways() -> None:
    wrong = []
    for module, path in modules():
        layer = layer_of(module)
        allowed = ALLOWED.get(layer or "")
        if allowed is None:  # the top of the graph
            continue
        for target in imports_of(path, module):
            if layer_of(target) not in allowed:
                wrong.append(f"{module} ({layer}) imports {target} ({layer_of(target)})")
    assert wrong == []


def module_graph() -> dict[str, set[str]]:
    """Module -> the modules of the package it imports (a package import counts as its
    `__init__`)."""
    known = {module for module, _ in modules()}
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in modules():
        for target in imports_of(path, module):
            while target not in known and "." in target:  # `from .x import Name` of a package
                target = target.rsplit(".", 1)[0]
            if target in known and target != module:
                graph[module].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_imports_run_one_way_inside_every_package() -> None:
    """No module imports (even for a type) one that imports it back, however far round:
    a reader following an arrow never comes back where they started."""
    inside = {
        module: {t for t in targets if layer_of(t) == layer_of(module)}
        for module, targets in module_graph().items()
        if layer_of(module) != "top"
    }
    assert cycles(inside) == []


def test_the_checkers_see_arrows_and_circles(tmp_path: Path) -> None:
    """A planted upward import and a planted circle are caught, so the tests above can fail."""
    probe = tmp_path / "probe.py"
    probe.write_text("from ..live.app import LiveUI\nfrom ..pubsub import hub\n")
    found = imports_of(probe, "liveui.dispatch.probe")
    assert found == {"liveui.live.app", "liveui.pubsub"}
    assert layer_of("liveui.live.app") not in ALLOWED["dispatch"]
    assert layer_of("liveui.pubsub") in ALLOWED["dispatch"]
    assert layer_of("liveui.newthing") is None
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_architecture_page_lists_every_module() -> None:
    """docs/architecture.md's "Every module" list names exactly the package's modules."""
    text = ARCHITECTURE.read_text().split("### Every module", 1)[1].split("\n## ", 1)[0]
    listed = set()
    for line in text.splitlines():
        package = re.match(r"- `(\w+)/` \((\w+)\): ", line)
        names = re.findall(r"`([\w.]+)`", line)
        if package:
            listed.add(f"liveui.{package[1]}")
            listed.update(f"liveui.{package[1]}.{n}" for n in names)
        elif line.startswith("- "):
            listed.update(f"liveui.{n}" for n in names)
    actual = {module for module, _ in modules()} - {"liveui"}
    assert sorted(actual - listed) == [], "missing from docs/architecture.md"
    assert sorted(listed - actual) == [], "listed in docs/architecture.md, not in the package"
