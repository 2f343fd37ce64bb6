"""Compiling generated TypeScript with the project's pinned `tsc`, for the codegen and JS tests."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest

from liveui.codegen.sdk import SDK_FILES
from tests.support.availability import unavailable

ROOT = Path(__file__).resolve().parents[2]
TSC = ROOT / "node_modules" / ".bin" / "tsc"

STRICT = {
    "strict": True,
    "target": "ES2022",
    "module": "ESNext",
    "moduleResolution": "Bundler",
    "lib": ["ES2022", "DOM"],
    "isolatedModules": True,
    "verbatimModuleSyntax": True,
    "noUnusedLocals": True,
    "noUnusedParameters": True,
    "noUncheckedIndexedAccess": True,
    "exactOptionalPropertyTypes": True,
    "skipLibCheck": False,
}
"""Stricter than most apps compile with, so the SDK compiles in theirs."""


def tsc(node: str) -> Path:
    if not TSC.exists():
        unavailable("node_modules/.bin/tsc is missing (make setup installs typescript)")
    return TSC


def link_node_modules(directory: Path) -> None:
    """Resolve `phoenix`, `react` and their types from a temporary directory."""
    link = directory / "node_modules"
    if not link.exists():
        link.symlink_to(ROOT / "node_modules", target_is_directory=True)


def compile_ts(
    node: str,
    workdir: Path,
    sdk_dirs: Iterable[Path],
    *,
    out_dir: Path | None = None,
    declarations: bool = False,
) -> None:
    """Type-check (and with `out_dir`, emit) the SDK files of `sdk_dirs`; fail with tsc's output."""
    options: dict[str, object] = dict(STRICT)
    if out_dir is None:
        options["noEmit"] = True
    else:
        options["outDir"] = str(out_dir)
        if declarations:
            options["declaration"] = True
            options["emitDeclarationOnly"] = True
    files = [str(d / name) for d in sdk_dirs for name in SDK_FILES]
    link_node_modules(workdir)
    config = workdir / "tsconfig.json"
    config.write_text(json.dumps({"compilerOptions": options, "files": files}, indent=2))
    run_tsc(node, config)


def run_tsc(node: str, config: Path) -> None:
    """`tsc -p config`; fail the test with tsc's output."""
    result = subprocess.run(
        [node, str(tsc(node)), "-p", str(config)], cwd=config.parent, capture_output=True,
        text=True, timeout=180, env={**os.environ, "NO_COLOR": "1"},
    )
    if result.returncode != 0:
        pytest.fail(f"tsc -p {config} failed:\n{result.stdout}\n{result.stderr}", pytrace=False)
