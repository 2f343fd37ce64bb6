"""The import graph follows the data: no module imports a layer above it or beside it.

    base      errors, tokens, ticker, close_codes, user_events, row_events, origin,
              ratelimit, log_limit, middleware, ws_frames, stats, _utils
    pubsub    hub, outbox, backoff, backends/
    auth      login claims and revocations (uses the hub)
    node      the runtime (hub + ticker + loop hand-off + lifespan + revocations)
    dispatch  | channels | live      (siblings: none imports another)
    codegen   reads dispatch and the wire contract
    metrics, testing, cli, liveui/__init__    may use everything

Checked by parsing every module's imports (TYPE_CHECKING ones included: a type-only arrow is
still an arrow a reader has to follow).
"""

from __future__ import annotations

import ast
from pathlib import Path

import liveui

PACKAGE = Path(liveui.__file__).parent

BASE = {
    "errors", "tokens", "ticker", "close_codes", "user_events", "row_events", "_utils", "origin",
    "ratelimit", "log_limit", "middleware", "ws_frames", "stats",
}
ALLOWED: dict[str, set[str]] = {
    "base": {"base"},
    "pubsub": {"base", "pubsub"},
    "auth": {"base", "pubsub", "auth"},
    "node": {"base", "pubsub", "auth", "node"},
    "dispatch": {"base", "pubsub", "node", "dispatch"},
    "channels": {"base", "pubsub", "auth", "node", "channels"},
    "live": {"base", "pubsub", "auth", "node", "live"},
    "codegen": {"base", "dispatch", "codegen"},
}


def layer_of(module: str) -> str:
    """`liveui.dispatch.counter_loader` -> "dispatch"."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    if top in BASE:
        return "base"
    return top or "root"


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


def test_no_module_imports_upward_or_sideways() -> None:
    wrong = []
    for module, path in modules():
        layer = layer_of(module)
        allowed = ALLOWED.get(layer)
        if allowed is None:  # testing, cli, the package root: the top of the graph
            continue
        for target in imports_of(path, module):
            if layer_of(target) not in allowed:
                wrong.append(f"{module} ({layer}) imports {target} ({layer_of(target)})")
    assert wrong == []


def test_the_checker_sees_arrows(tmp_path: Path) -> None:
    """A planted upward import is caught, so the test above can fail."""
    probe = tmp_path / "probe.py"
    probe.write_text("from ..live.app import LiveUI\nfrom ..pubsub import hub\n")
    found = imports_of(probe, "liveui.dispatch.probe")
    assert found == {"liveui.live.app", "liveui.pubsub"}
    assert layer_of("liveui.live.app") not in ALLOWED["dispatch"]
    assert layer_of("liveui.pubsub") in ALLOWED["dispatch"]
