"""The docs' Python examples: every fenced block parses, and every block marked runnable
(`<!-- runnable -->` on the line before its fence) runs as written, in a fresh process outside
the repository; when it defines an ASGI `app`, that app starts (its lifespan runs) and `GET /`
answers without a server error — what a reader who copies it would do first."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"(?P<marker><!-- runnable -->\n)?```python\n(?P<code>.*?)```", re.S)

HARNESS = """
import runpy, sys
from starlette.testclient import TestClient

namespace = runpy.run_path(sys.argv[1], run_name="example")
app = namespace.get("app")
if app is not None:
    with TestClient(app) as client:
        answer = client.get("/")
        assert answer.status_code < 500, (answer.status_code, answer.text[:500])
        print("GET / ->", answer.status_code)
print("ran")
"""


def blocks(marked: bool | None = None) -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for n, match in enumerate(FENCE.finditer(doc.read_text()), 1):
            if marked is None or bool(match["marker"]) == marked:
                found.append((f"{doc.relative_to(ROOT)}#{n}", match["code"]))
    return found


@pytest.mark.parametrize(("where", "code"), blocks(), ids=[w for w, _ in blocks()])
def test_every_python_example_parses(where: str, code: str) -> None:
    compile(code, where, "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def test_some_examples_are_marked_runnable() -> None:
    assert any("docs/live.md" in where for where, _ in blocks(marked=True))


@pytest.mark.parametrize(("where", "code"), blocks(marked=True),
                         ids=[w for w, _ in blocks(marked=True)])
def test_a_runnable_example_runs_as_written(where: str, code: str, tmp_path: Path) -> None:
    example = tmp_path / "example.py"
    example.write_text(code)
    (tmp_path / "harness.py").write_text(HARNESS)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "harness.py", str(example)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{where}:\n{done.stdout}\n{done.stderr[-3000:]}"
    assert "ran" in done.stdout
