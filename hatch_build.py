"""Hatch build hook: every sdist and wheel carries the browser files liveui's tags load.

The third-party files (htmx, its SSE/WS extensions, phoenix.js) are never committed; they are
copied from the npm packages pinned in package-lock.json by `scripts/vendor_assets.py`, the
same step `make setup` runs. Per target:

- sdist: the vendored files (and their licences) go in as `static/liveui/vendor/...`, so a
  wheel built from the sdist (`python -m build`, pip, distribution builders) needs neither
  Node.js nor the network. package.json + package-lock.json go along, for provenance.
- wheel: `liveui/_static/liveui/` gets exactly `ASSETS` of `liveui/live/paths.py` plus the
  licences: file by file, so no stamp or stray file of a developer's tree ships.
- editable (`pip install -e .`): the files are written into the checkout's
  `static/liveui/vendor/`, where the installed package looks for them.

Inside an unpacked sdist (it has PKG-INFO) the files it carries are used as they are;
anywhere else they are copied afresh from node_modules/ (or from a temporary `npm install`).
A wheel or sdist that cannot get them fails to build; an editable install only warns (the
start-up check then names what is missing).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def _vendor_assets(root: Path) -> ModuleType:
    path = root / "scripts" / "vendor_assets.py"
    spec = importlib.util.spec_from_file_location("_liveui_vendor_assets", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class LiveUIAssetsHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name not in ("sdist", "wheel"):
            return
        root = Path(self.root)
        va = _vendor_assets(root)
        editable = self.target_name == "wheel" and version == "editable"
        static = root / va.STATIC
        if (root / "PKG-INFO").is_file() and not va.absent(root):
            self.app.display_info("liveui: browser files as the sdist carries them")
        else:
            try:
                written = va.vendor(root)
            except va.VendorError as e:
                if not editable:
                    raise
                self.app.display_warning(f"liveui: browser files not installed: {e}")
                return
            self.app.display_info(f"liveui: {len(written)} files copied to {static}/vendor")
        if editable:
            return  # the checkout's static/ is what an editable install serves
        missing = va.absent(root)
        if missing:
            raise FileNotFoundError(f"liveui: missing from {static}: {', '.join(missing)}")
        for rel in va.packaged_files(root):
            if self.target_name == "sdist":
                if rel.startswith("vendor/"):  # git-ignored: not picked up by default
                    build_data["force_include"][str(static / rel)] = f"{va.STATIC.as_posix()}/{rel}"
            else:
                build_data["force_include"][str(static / rel)] = f"liveui/_static/liveui/{rel}"
