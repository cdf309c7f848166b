PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
DEMO_STAMP := $(VENV)/.installed-demo
LAB_STAMP := $(VENV)/.installed-lab
# An editable install of the checkout, without setuptools' "Editable installation" notice box.
INSTALL := PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install --quiet -e
# PyTorch for the [torch] extra: the CPU build. An unpinned `torch` resolves to a CUDA build
# (about 5 GB with its nvidia libraries); 2.13.0's CPU wheel (2.13.0+cpu) is what pip finds
# here, and a later `torch>=2.0` in the extras is then already satisfied.
TORCH ?= torch==2.13.0
# Extra options for `jupyter lab`, e.g. `make lab LAB_ARGS="--no-browser --port 8899"`.
LAB_ARGS ?=
# Jupyter refuses to run as root (a container, CI) unless told to; kept whatever LAB_ARGS holds.
ROOT_ARGS := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: demo lab test lint bench notebooks-sync mutation clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(DEMO_STAMP): pyproject.toml | $(VENV)/bin/python
	$(INSTALL) ".[demo]"
	touch $@

# What the notebooks import: JupyterLab, matplotlib, micrograd (notebook 01 compares with it)
# and CPU PyTorch (notebook 10).
$(LAB_STAMP): pyproject.toml | $(VENV)/bin/python
	@echo "make lab: installing JupyterLab, matplotlib, micrograd and CPU PyTorch ($(TORCH))" \
	      "into $(VENV): about 1.3 GB, 1-3 minutes with a warm pip cache"
	$(PY) -m pip install --progress-bar on "$(TORCH)"
	$(INSTALL) ".[jupyter,bench,torch]"
	touch $@

$(STAMP): pyproject.toml | $(VENV)/bin/python
	@echo "make test: installing the dev tools (pytest, ruff, mypy, nbmake, selenium, JupyterLab)," \
	      "micrograd and CPU PyTorch ($(TORCH)) into $(VENV): about 1.5 GB, 1-3 minutes with a" \
	      "warm pip cache"
	$(PY) -m pip install --progress-bar on "$(TORCH)"
	$(INSTALL) ".[dev,demo,jupyter,bench,torch]"
	touch $@ $(DEMO_STAMP) $(LAB_STAMP)

demo: $(DEMO_STAMP)
	$(PY) -m nn.demo

lab: $(LAB_STAMP)
	$(VENV)/bin/jupyter lab notebooks $(ROOT_ARGS) $(LAB_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy

test: lint
	$(PY) -m pytest -q -p no:cacheprovider -n auto --nbmake tests notebooks

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
