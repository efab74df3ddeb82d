# Two entry points: `make serve` and `make test`. Each sets up what it needs first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Debian packages for off-screen rendering with the VTK wheels (EGL through Mesa), and Chromium for the browser tests.
SYSTEM_PACKAGES := libgl1 libegl1 libegl-mesa0 libgl1-mesa-dri libgles2 libxrender1 libxcursor1 libxft2 libxinerama1 chromium

.PHONY: setup system-packages serve test build-meshes benchmark

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

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

serve: setup
	$(BIN)/knee-explorer serve

test: setup
	$(BIN)/python -m pytest

build-meshes: setup
	$(BIN)/knee-explorer build-meshes

benchmark: setup
	$(BIN)/python benchmarks/atlas_load_and_render.py
