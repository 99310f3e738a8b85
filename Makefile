# One-command entry points (see README): `make run` and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup system tools run test test-fast lint bench

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

# Debian's Chromium for the browser tests (Playwright drives it via executable_path) and
# Debian's Virtuoso, the second SPARQL store the publish tests load (Oxigraph comes from PyPI).
system:
	@command -v git >/dev/null || (apt-get update -qq && apt-get install -y -qq git)
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)
	@command -v virtuoso-t >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq virtuoso-opensource-7 >/dev/null)

# Tools kept apart from the project's environment (openapi-python-client pins an older typer).
tools: .cache/tools/.installed

.cache/tools/.installed: tests/tools-requirements.txt
	$(PYTHON) -m venv .cache/tools
	.cache/tools/bin/pip install --quiet -r tests/tools-requirements.txt
	touch $@

run: setup
	$(BIN)/powers validate
	$(BIN)/powers stats
	$(BIN)/powers build
	$(BIN)/powers serve --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check .

test: setup system tools lint
	$(BIN)/pytest

test-fast: setup
	$(BIN)/pytest -m "not corpus and not browser"

bench: setup
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done
