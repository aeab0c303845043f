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
# ... and the lab side of the same: nbgrader's menu (it leads to the formgrader and
# the lists), the create-assignment panel and the lists' panels are switched off in a
# page config that only the student lab reads (JUPYTER_CONFIG_PATH); Validate stays.
STUDENT_LAB_CONFIG := build/student-lab-config
HIDDEN_LAB_PLUGINS := menu formgrader assignment-list course-list create-assignment
FAST_MARKERS := not slow and not notebooks and not autograder and not browser and not postgres and not dask

.DEFAULT_GOAL := help

# Each room adds its own targets. Included here, before the rules below, because
# make expands a rule's prerequisites ($(LAB_DEPS) of `lab`) as it reads them.
-include autograder/autograder.mk
-include bench/bench.mk

.PHONY: help setup setup-lab lock system lab lab-solutions test test-fast lint format clean

help:
	@echo "make lab            set up, then JupyterLab on the student notebooks"
	@echo "make lab-solutions  JupyterLab on the instructor masters (with solutions)"
	@echo "make test           set up, then every test (CI runs this)"
	@echo "make test-fast      the quick subset for the edit loop"
	@echo "make lint           ruff"
	@echo "make lock           refresh the locks in requirements/ (on purpose only)"
	@echo "make release | grade | feedback | export   the autograding workflow"
	@echo "make bench          benchmarks (results into bench/results and README)"

# -- set-up -------------------------------------------------------------------
# Every install goes through a lock of the whole environment (requirements/*.lock,
# written by `make lock`), installed with --no-deps so pip adds nothing unlocked:
#   lab.lock    what a student needs (make lab)
#   test.lock   lab.lock plus the instructor's and tester's tools (make test)
#   torch.lock  PyTorch's CPU build and its dependencies (gradient comparisons)
LOCKS      := requirements
LAB_STAMP  := $(VENV)/.lab-stamp
STAMP      := $(VENV)/.test-stamp
PIP        := $(BIN)/python -m pip
PIP_LOCKED := $(PIP) install -q --no-deps

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "treeprop needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)

$(LAB_STAMP): $(LOCKS)/lab.lock pyproject.toml | $(BIN)/python
	$(PIP_LOCKED) -r $(LOCKS)/lab.lock
	$(PIP_LOCKED) --no-build-isolation -e .
	$(PIP) check
	@touch $@

$(STAMP): $(LAB_STAMP) $(LOCKS)/test.lock $(LOCKS)/torch.lock
	$(PIP_LOCKED) -r $(LOCKS)/test.lock
	@# PyTorch's CPU build is not on PyPI: pip finds it through its find-links
	@# (PIP_FIND_LINKS) or an extra index. Without it the PyTorch comparisons skip,
	@# except under CI, where they must run.
	@$(PIP_LOCKED) -r $(LOCKS)/torch.lock || { \
	  echo "!! could not install $$(grep '^torch==' $(LOCKS)/torch.lock): point pip at the PyTorch CPU wheels (PIP_FIND_LINKS or PIP_EXTRA_INDEX_URL)"; \
	  [ "$(CI)" != "true" ]; }
	$(PIP) check
	@touch $@

setup-lab: $(LAB_STAMP)
setup: $(STAMP)

# Refresh the locks on purpose (new versions, a new dependency in pyproject.toml),
# then run `make clean test` and commit requirements/ with the change that needs it.
lock: | $(BIN)/python
	$(PIP_LOCKED) "$$(grep '^uv==' $(LOCKS)/test.lock)"
	$(BIN)/uv pip compile -q --python-version 3.11 pyproject.toml $(LOCKS)/tools.in --extra dev -o $(LOCKS)/test.lock
	$(BIN)/uv pip compile -q --python-version 3.11 pyproject.toml $(LOCKS)/tools.in -c $(LOCKS)/test.lock -o $(LOCKS)/lab.lock
	$(BIN)/uv pip compile -q --python-version 3.11 $(LOCKS)/torch.in -c $(LOCKS)/test.lock \
	  $(foreach d,$(PIP_FIND_LINKS),--find-links $(d)) -o $(LOCKS)/torch.lock

system-%:
	@bash .ci/ensure-system $*

system: system-graphviz system-chromium system-postgresql system-bubblewrap

# -- using the course -------------------------------------------------------------
$(STUDENT_LAB_CONFIG)/labconfig/page_config.json: Makefile
	@mkdir -p $(dir $@)
	@$(PYTHON) -c 'import json, sys; json.dump({"disabledExtensions": {f"@jupyter/nbgrader:{p}": True for p in sys.argv[1:]}}, open("$@", "w"), indent=1)' $(HIDDEN_LAB_PLUGINS)

lab: setup-lab system-graphviz $(LAB_DEPS) $(STUDENT_LAB_CONFIG)/labconfig/page_config.json
	@echo ">> JupyterLab on $(LAB_DIR), bound to localhost; open the URL it prints (token included)"
	JUPYTER_CONFIG_PATH=$(abspath $(STUDENT_LAB_CONFIG))$(if $(JUPYTER_CONFIG_PATH),:$(JUPYTER_CONFIG_PATH)) \
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
