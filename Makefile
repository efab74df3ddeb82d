# Two entry points: `make serve` and `make test`. Each sets up what it needs first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Debian packages for off-screen rendering with the VTK wheels (EGL through Mesa), and Chromium for the browser tests.
SYSTEM_PACKAGES := libgl1 libegl1 libegl-mesa0 libgl1-mesa-dri libgles2 libxrender1 libxcursor1 libxft2 libxinerama1 chromium
# npm packages for the tests, pinned, installed into a git-ignored folder: the Khronos glTF validator (GLB
# export), three.js (the GLB drawn by a glTF viewer in the browser) and axe-core (accessibility checks, its
# script at .node/node_modules/axe-core/axe.min.js). .node/installed lists what was installed last.
NODE_TOOLS := .node
NODE_PACKAGES := gltf-validator@2.0.0-dev.3.10 three@0.187.0 axe-core@4.14.1

.PHONY: setup system-packages node-tools spl-geometry serve test build-meshes benchmark

setup: system-packages $(VENV)/.installed

system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing system packages:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
		echo "warning: missing system packages for off-screen rendering:" $$missing; \
		echo "         install them with: sudo apt-get install" $$missing; \
	fi

node-tools:
	@if [ "$$(cat $(NODE_TOOLS)/installed 2>/dev/null)" = "$(NODE_PACKAGES)" ]; then exit 0; fi; \
	if ! command -v npm >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing system packages: nodejs npm"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	fi; \
	if command -v npm >/dev/null; then \
		echo "installing into $(NODE_TOOLS): $(NODE_PACKAGES)"; \
		npm install --silent --no-audit --no-fund --save-exact --prefix $(NODE_TOOLS) $(NODE_PACKAGES) && \
		echo "$(NODE_PACKAGES)" > $(NODE_TOOLS)/installed; \
	else \
		echo "warning: npm not found; the tests that need $(NODE_PACKAGES) will be skipped"; \
	fi

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[test]"
	touch $@

# The SPL Knee Atlas geometry lives in the user's cache, built from ../shared/data when it is missing or stale.
spl-geometry: setup
	$(BIN)/knee-explorer build-meshes --geometry spl --if-needed

serve: setup spl-geometry
	$(BIN)/knee-explorer serve

test: setup node-tools spl-geometry
	$(BIN)/python -m pytest

build-meshes: setup
	$(BIN)/knee-explorer build-meshes

benchmark: setup
	$(BIN)/python benchmarks/atlas_load_and_render.py
	$(BIN)/python benchmarks/exports.py
