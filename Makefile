# The two README commands: `make demo` and `make test`. Both install what they need and are
# idempotent: stamps make the second run skip the installs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENDOR := static/liveui/vendor
SPA := demo/spa

.PHONY: setup demo test test-fast lint screenshots chromium clean

# npm packages before the virtualenv: `pip install -e .` runs the build hook (hatch_build.py),
# which copies the browser files from node_modules/ when it is there.
setup: $(VENDOR)/.installed $(VENV)/.installed $(SPA)/dist/.built

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# `npm install --no-save` rather than `npm ci`: npm 11 leaves other platforms' optional packages
# (rollup's native builds) out of the lock file and `npm ci` then refuses it; versions are pinned.
node_modules/.installed: package.json package-lock.json
	npm install --no-save --no-audit --no-fund --loglevel=error
	touch $@

# Browser packages come from the npm registry; they are copied, never committed. The file list
# is VENDOR_FILES in liveui/live/paths.py; the build hook runs the same script for packages.
$(VENDOR)/.installed: node_modules/.installed scripts/vendor_assets.py liveui/live/paths.py
	$(PYTHON) scripts/vendor_assets.py --no-npm
	touch $@

# The demo's React page (/spa), built with Vite from the pinned npm packages; dist/ is ignored.
$(SPA)/dist/.built: node_modules/.installed $(SPA)/index.html $(SPA)/vite.config.mjs $(shell find $(SPA)/src -type f)
	node_modules/.bin/vite build $(SPA) --logLevel warn
	touch $@

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

demo: setup
	$(PY) -m demo --port 8000

lint: setup
	$(VENV)/bin/ruff check liveui demo bench tests docs/examples scripts hatch_build.py
	$(VENV)/bin/mypy

# Two workers (pytest-xdist): every test makes its own databases, servers and ports, and the
# browser tests are collected last, so each worker runs them after its asyncio tests.
test: setup chromium lint
	$(PY) -m pytest -q -n 2

# The inner loop: everything but the browser, phoenix.js and package-building tests (CI runs all).
test-fast: setup lint
	$(PY) -m pytest -q -n 2 -m "not e2e and not compat and not slow"

screenshots: setup chromium
	$(PY) -m demo.screenshots

clean:
	rm -rf $(VENV) node_modules $(VENDOR)
