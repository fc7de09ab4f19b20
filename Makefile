# The two commands a newcomer runs: `make demo` and `make test`. Both create .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

.PHONY: setup demo test browser clean

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

browser:  # Debian's Chromium for the browser tests (needs root); without it those tests skip
	test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null)

clean:
	rm -rf $(VENV) demo.png
