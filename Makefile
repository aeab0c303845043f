# treeprop: two commands do all the set-up.
#   make lab    set up, then start JupyterLab on the course (student versions)
#   make test   set up, then run every test
# Other targets: make help

SHELL := /bin/bash
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8888
CI     ?=
export CI

# Where `make lab` opens JupyterLab, and what it needs first; the autograder
# fragment points this at freshly generated student versions.
LAB_DIR  ?= notebooks
LAB_DEPS ?=
# Jupyter refuses to run as root unless told; containers and CI machines often are root.
JUPYTER_LAB = $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) \
              $(if $(filter 0,$(shell id -u)),--allow-root)
# Students need nbgrader's Validate button, not the instructor's formgrader or the
# exchange lists (which only log errors outside an nbgrader course folder).
STUDENT_LAB = $(foreach ext,formgrader assignment_list course_list,\
              --ServerApp.jpserver_extensions=nbgrader.server_extensions.$(ext)=False)
FAST_MARKERS := not slow and not notebooks and not autograder and not browser and not postgres and not dask

.DEFAULT_GOAL := help

# Each room adds its own targets. Included here, before the rules below, because
# make expands a rule's prerequisites ($(LAB_DEPS) of `lab`) as it reads them.
-include autograder/autograder.mk
-include bench/bench.mk

.PHONY: help setup system lab lab-solutions test test-fast lint format clean

help:
	@echo "make lab            set up, then JupyterLab on the student notebooks"
	@echo "make lab-solutions  JupyterLab on the instructor masters (with solutions)"
	@echo "make test           set up, then every test (CI runs this)"
	@echo "make test-fast      the quick subset for the edit loop"
	@echo "make lint           ruff"
	@echo "make release | grade | feedback | export   the autograding workflow"
	@echo "make bench          benchmarks (results into bench/results and README)"

# -- set-up -------------------------------------------------------------------
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "treeprop needs Python 3.11 or newer; set PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@# PyTorch is optional: the tests compare gradients with it when it is there.
	@if ls /opt/wheels/torch-2.13.0* >/dev/null 2>&1 || [ "$(CI)" = "true" ]; then \
	  $(BIN)/python -m pip install -q 'torch==2.13.0' || { echo "!! could not install PyTorch"; [ "$(CI)" != "true" ]; }; \
	else echo "note: PyTorch not installed (pip install -e '.[torch]' to add it); its comparison tests will skip"; fi
	$(BIN)/jupyter labextension list 2>&1 | grep -q jupyterlab_widgets || echo "note: jupyterlab_widgets not found by JupyterLab"
	@touch $@

setup: $(STAMP)

system-%:
	@bash .ci/ensure-system $*

system: system-graphviz system-chromium system-postgresql system-bubblewrap

# -- using the course -------------------------------------------------------------
lab: setup system-graphviz $(LAB_DEPS)
	@echo ">> JupyterLab on $(LAB_DIR), bound to localhost; open the URL it prints (token included)"
	$(JUPYTER_LAB) $(STUDENT_LAB) --ServerApp.root_dir=$(LAB_DIR)

lab-solutions: setup system-graphviz
	$(JUPYTER_LAB) --ServerApp.root_dir=notebooks

# -- tests --------------------------------------------------------------------------
test: setup system
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -q -x -m "$(FAST_MARKERS)"

lint: setup
	$(BIN)/ruff check .

format: setup
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build
