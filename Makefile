# The two commands a newcomer runs: `make demo` and `make test`. Both create .venv first (the full install).
# `make test-light`: the torch-free install (`pip install inpaintkit`) in .venv-light, and the tests marked `light`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
LIGHT := .venv-light
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

.PHONY: setup demo test setup-light test-light browser clean

$(BIN)/inpaintkit: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The CPU build of torch first, from PyTorch's CPU index (elsewhere the default wheel is the multi-GB CUDA
	# build); where that index cannot be reached, the configured package index's torch 2.13.0.
	$(BIN)/pip install -q --retries 0 --timeout 10 torch==2.13.0 --index-url $(TORCH_INDEX) 2>/dev/null \
		|| $(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
	touch $@

setup: $(BIN)/inpaintkit

demo: setup
	$(BIN)/inpaintkit demo -o demo.png

test: setup
	$(BIN)/python -m pytest

$(LIGHT)/bin/inpaintkit: pyproject.toml
	$(PY) -m venv $(LIGHT)
	$(LIGHT)/bin/pip install -q --upgrade pip
	$(LIGHT)/bin/pip install -q -e '.[test-light]'
	@! $(LIGHT)/bin/python -c 'import torch' 2>/dev/null || (echo "error: torch is in $(LIGHT); the light install must not pull it" >&2; exit 1)
	touch $@

setup-light: $(LIGHT)/bin/inpaintkit

test-light: setup-light  # fill, folders, serve, eval and inpaint() without PyTorch; prints the install's size
	@du -sh $(LIGHT)/lib/python3*/site-packages | sed 's/^/torch-free site-packages: /'
	$(LIGHT)/bin/python -m pytest -m light

browser:  # Debian's Chromium for the browser tests (needs root); without it those tests skip
	test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null)

clean:
	rm -rf $(VENV) $(LIGHT) demo.png
