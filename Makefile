# Two entry points for a fresh machine (see README):
#   make demo  - install the runtime (locked, no development tools) and run the built-in default scenario
#   make test  - install everything (locked) and run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv

.PHONY: install install-all browser demo test lint bench fuzz clean docs

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==0.13.8

# the runtime alone (no test, lint or docs tools): what `make demo` needs; then the engine's
# kernels compiled once into numba's cache (`alliancesim compile`), so the first run is fast
install: $(UV)
	$(UV) sync --frozen --quiet --no-dev
	.venv/bin/alliancesim compile

# every optional extra too (Ray) and the development tools, for the tests and the benchmark
install-all: $(UV)
	$(UV) sync --frozen --quiet --all-extras --group dev
	.venv/bin/alliancesim compile

demo: install
	.venv/bin/alliancesim run

# Debian's chromium for the browser test of the HTML report (as root; the test is skipped,
# saying so, where it cannot be installed)
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "chromium could not be installed: the browser test will be skipped"

# CI=1: hypothesis replays the same examples on every run (tests/conftest.py)
test: install-all browser
	CI=1 .venv/bin/python -m pytest -n 2 -q
	CI=1 .venv/bin/python -m pytest -q -m slow
	.venv/bin/ruff check src tests $(wildcard benchmarks examples)
	.venv/bin/mypy
	.venv/bin/lint-imports

# 10,000 generated malformed inputs per surface (tests/fuzzing.py: scenario/case/parameter files,
# dataset files, --vary specs, YAML tags, --out targets; about an hour; not in CI).
# One surface: make fuzz SURFACE=out
SURFACE ?= all
fuzz: install-all
	cd tests && ../.venv/bin/python fuzzing.py --examples 10000 --surface $(SURFACE)

# the documentation site with the API reference from the docstrings (mkdocs.yml): --strict, so a
# broken link or a docstring mkdocstrings cannot read fails it (tests/test_issue22_docs.py too)
docs: install-all
	NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict -d site

bench: $(UV)
	$(UV) sync --frozen --quiet --all-extras --group bench
	.venv/bin/python benchmarks/engine.py --ray
	.venv/bin/python benchmarks/startup.py

lint: install-all
	.venv/bin/ruff check src tests $(wildcard benchmarks examples)
	.venv/bin/ruff format --check src tests $(wildcard benchmarks examples)
	.venv/bin/mypy
	.venv/bin/lint-imports

clean:
	rm -rf .venv $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
