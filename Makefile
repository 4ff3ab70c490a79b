# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck unit bench mutation clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall when the project's metadata changes.
$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e '.[all,dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m partnercenter.demo

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP)
	$(PY) -m pytest

test: lint typecheck unit

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
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
