PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
DEMO_STAMP := $(VENV)/.installed-demo
LAB_STAMP := $(VENV)/.installed-lab
# An editable install of the checkout, without setuptools' "Editable installation" notice box.
INSTALL := PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install --quiet -e
# Extra options for `jupyter lab`, e.g. `make lab LAB_ARGS="--no-browser --port 8899"`.
# Jupyter refuses to run as root (a container, CI) unless told to.
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: demo lab test lint bench notebooks-sync mutation clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(DEMO_STAMP): pyproject.toml | $(VENV)/bin/python
	$(INSTALL) ".[demo]"
	touch $@

$(LAB_STAMP): pyproject.toml | $(VENV)/bin/python
	$(INSTALL) ".[jupyter]"
	touch $@

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(INSTALL) ".[dev,demo,jupyter,bench,torch]"
	touch $@ $(DEMO_STAMP) $(LAB_STAMP)

demo: $(DEMO_STAMP)
	$(PY) -m nn.demo

lab: $(LAB_STAMP)
	$(VENV)/bin/jupyter lab notebooks $(LAB_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy

test: lint
	$(PY) -m pytest -q -p no:cacheprovider --nbmake tests notebooks

# Each notebook has a jupytext twin (percent-format .py) so a lesson's change reads as a code
# diff; after editing either side, this brings the other up to date (make test checks it).
notebooks-sync: $(STAMP)
	$(VENV)/bin/jupytext --sync notebooks/*.ipynb

bench: $(STAMP)
	$(PY) -m benchmarks.run

# Slow (not part of `make test`): mutmut and the op-table mutator against the fast tests.
mutation: $(STAMP)
	@$(PY) -c "import mutmut" 2>/dev/null || $(PY) -m pip install --quiet -e ".[mutation]"
	env -u PYTHONPATH $(PY) -m mutation.run

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis mutants
