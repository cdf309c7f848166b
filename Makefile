PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: demo test lint bench mutation clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(DEMO_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[demo]"
	touch $@

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[dev,demo,jupyter,bench]"
	touch $@ $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(PY) -m nn.demo

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy

test: lint
	$(PY) -m pytest -q -p no:cacheprovider --nbmake tests notebooks

bench: $(STAMP)
	$(PY) -m benchmarks.run

# Slow (not part of `make test`): mutmut and the op-table mutator against the fast tests.
mutation: $(STAMP)
	@$(PY) -c "import mutmut" 2>/dev/null || $(PY) -m pip install --quiet -e ".[mutation]"
	env -u PYTHONPATH $(PY) -m mutation.run

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis mutants
