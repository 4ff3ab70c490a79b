# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# `make test` installs everything (all extras + the dev tools); `make demo` only what the demo
# needs (the [cli] and [emulator] extras: no Playwright, no type checker), so it is quick.
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.demo-installed
PIP := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: install demo test lint typecheck unit bench dist mutation clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall when the project's metadata changes.
$(STAMP): $(PY) pyproject.toml
	$(PIP) --upgrade pip
	$(PIP) -e '.[all,dev]'
	touch $(STAMP)

# A full install (make test) also serves the demo.
$(DEMO_STAMP): $(PY) pyproject.toml
	@if [ -f $(STAMP) ] && [ $(STAMP) -nt pyproject.toml ]; then :; \
	else $(PIP) -e '.[cli,emulator]'; fi
	touch $(DEMO_STAMP)

install: $(STAMP)

demo: $(DEMO_STAMP)
	$(PY) -m partnercenter.demo

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP)
	$(PY) -m pytest

test: lint typecheck unit

# The wheel and the sdist in dist/, their metadata checked as PyPI would.
dist: $(STAMP)
	rm -rf dist
	$(PY) -m build --outdir dist .
	$(VENV)/bin/twine check --strict dist/*

# Each benchmark compares our code with its peer side by side in one run; figures and
# commands are recorded in docs/benchmarks.md.
BENCHMARKS := $(sort $(wildcard benchmarks/bench_*.py))
bench: $(STAMP)
	@for script in $(BENCHMARKS); do echo "== $$script"; $(PY) $$script || exit 1; done

# Mutation testing over the security-critical modules, one module at a time against the tests
# mapped to it in pyproject.toml ([tool.partnercenter.mutation]); slow, so not part of `test`.
# MODULES=src/partnercenter/auth/policy.py narrows it; scores: docs/testing-strength.md.
mutation: $(STAMP)
	$(PY) tests/run_mutation.py $(MODULES)

clean:
	rm -rf $(VENV) dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
