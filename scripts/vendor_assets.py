"""Copy the third-party browser files liveui serves into `static/liveui/vendor/`.

    python3 scripts/vendor_assets.py            # what `make setup` runs
    python3 scripts/vendor_assets.py --no-npm   # only from an existing node_modules/

The build hook (`hatch_build.py`) runs the same code for every sdist, wheel and editable
install. One list, one set of versions:

- which files: `VENDOR_FILES` in `liveui/live/paths.py` (the start-up check reads it too);
- which versions: package.json + package-lock.json. `node_modules/` is used when it holds the
  locked versions; otherwise the runtime packages are installed with npm into a temporary
  folder (the project's own node_modules/ is never touched).

Each package's licence goes along as `vendor/licenses/<package>.txt`. Standard library only:
the build hook runs this before any dependency is installed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
STATIC = Path("static/liveui")
"""Relative to the project root; `vendor/` is below it."""
NPM_INSTALL = [
    "install", "--omit=dev", "--no-save", "--no-audit", "--no-fund", "--ignore-scripts",
    "--loglevel=error",
]  # fmt: skip


class VendorError(RuntimeError):
    """The browser files cannot be produced (no usable node_modules/ and no npm)."""


def load_paths(root: Path = ROOT) -> ModuleType:
    """`liveui/live/paths.py`, loaded by file path (liveui's dependencies may be absent)."""
    spec = importlib.util.spec_from_file_location(
        "_liveui_build_paths", root / "liveui" / "live" / "paths.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def package_of(source: str) -> str:
    """The npm package a `VENDOR_FILES` source path is in (`@scope/name` or `name`)."""
    parts = source.split("/")
    return "/".join(parts[:2]) if source.startswith("@") else parts[0]


def vendor_files(root: Path = ROOT) -> dict[str, str]:
    return dict(load_paths(root).VENDOR_FILES)


def packages(root: Path = ROOT) -> list[str]:
    return sorted({package_of(source) for source in vendor_files(root).values()})


def licence_name(package: str) -> str:
    return f"licenses/{package.replace('/', '+')}.txt"


def packaged_files(root: Path = ROOT) -> list[str]:
    """Every file a package carries under `static/liveui/`, relative to it: the browser files
    of `ASSETS` (liveui's own and vendored) and the vendored packages' licences."""
    assets = list(load_paths(root).ASSETS)
    return assets + [f"vendor/{licence_name(p)}" for p in packages(root)]


def absent(root: Path = ROOT) -> list[str]:
    """Which of `packaged_files()` are not in `root/static/liveui/`."""
    return [rel for rel in packaged_files(root) if not (root / STATIC / rel).is_file()]


def locked_versions(root: Path = ROOT) -> dict[str, str]:
    """The version package-lock.json pins for each vendored package."""
    declared = json.loads((root / "package.json").read_text()).get("dependencies", {})
    lock = json.loads((root / "package-lock.json").read_text()).get("packages", {})
    versions = {}
    for package in packages(root):
        if package not in declared:
            raise VendorError(
                f"{package} must be in the dependencies of package.json (not devDependencies): "
                "builds install only those"
            )
        entry = lock.get(f"node_modules/{package}")
        if not entry or "version" not in entry:
            raise VendorError(f"package-lock.json has no entry for {package}; run npm install")
        versions[package] = entry["version"]
    return versions


def stale(node_modules: Path, versions: dict[str, str]) -> list[str]:
    """Packages of `node_modules` that are missing or not at their locked version."""
    problems = []
    for package, version in versions.items():
        manifest = node_modules / package / "package.json"
        found = json.loads(manifest.read_text()).get("version") if manifest.is_file() else None
        if found != version:
            problems.append(f"{package} {found or 'missing'} (locked: {version})")
    return problems


@contextmanager
def npm_packages(root: Path = ROOT, *, allow_npm: bool = True) -> Iterator[Path]:
    """A node_modules/ holding the locked versions: the project's own if it is current, else a
    temporary one installed with npm from package.json + package-lock.json."""
    versions = locked_versions(root)
    problems = stale(root / "node_modules", versions)
    if not problems:
        yield root / "node_modules"
        return
    npm = shutil.which("npm") if allow_npm else None
    if npm is None:
        fix = (
            "npm is not on PATH to install them: install Node.js and build again, or run "
            "`make setup` first" if allow_npm else "run `npm install` or `make setup`"
        )
        raise VendorError(
            "liveui's browser files come from the npm packages pinned in package-lock.json and "
            f"node_modules/ does not hold them ({'; '.join(problems)}); {fix}"
        )
    with tempfile.TemporaryDirectory(prefix="liveui-npm-") as tmp:
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(root / name, Path(tmp) / name)
        print(f"liveui: npm {' '.join(NPM_INSTALL)} (in {tmp})", file=sys.stderr)
        done = subprocess.run(
            [npm, *NPM_INSTALL], cwd=tmp, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise VendorError(
                f"npm install failed (exit status {done.returncode}):\n{done.stdout}{done.stderr}"
            )
        problems = stale(Path(tmp) / "node_modules", versions)
        if problems:
            raise VendorError(f"npm installed other versions than locked: {'; '.join(problems)}")
        yield Path(tmp) / "node_modules"


def _licence(package_dir: Path) -> Path:
    for path in sorted(package_dir.iterdir()):
        if path.is_file() and path.name.upper().startswith(("LICENSE", "LICENCE", "COPYING")):
            return path
    raise VendorError(f"no licence file in {package_dir}")


def vendor(root: Path = ROOT, dest: Path | None = None, *, allow_npm: bool = True) -> list[Path]:
    """Copy `VENDOR_FILES` and the packages' licences into `dest` (default
    `root/static/liveui/vendor`); return the files written."""
    dest = root / STATIC / "vendor" if dest is None else dest
    written = []
    with npm_packages(root, allow_npm=allow_npm) as node_modules:
        copies = {name: node_modules / source for name, source in vendor_files(root).items()}
        for package in packages(root):
            copies[licence_name(package)] = _licence(node_modules / package)
        for name, source in copies.items():
            if not source.is_file():
                raise VendorError(f"{source} is missing from its npm package")
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="default: %(default)s")
    parser.add_argument("--dest", type=Path, help="default: <root>/static/liveui/vendor")
    parser.add_argument("--no-npm", action="store_true", help="never run npm; use node_modules/")
    args = parser.parse_args(argv)
    try:
        written = vendor(args.root.resolve(), args.dest, allow_npm=not args.no_npm)
    except VendorError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"liveui: {len(written)} vendored files in {written[0].parent}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
