# The course's commands. `make lab` to learn, `make test` to check everything.
# Both create .venv with the pinned packages on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
LAB_STAMP  := $(VENV)/.lab-installed
TEST_STAMP := $(VENV)/.test-installed

# Optional: where to get PyTorch from. On Linux, PyPI's torch is the CUDA build (several GB);
#   make lab TORCH_INDEX=https://download.pytorch.org/whl/cpu
# installs the CPU build instead (a 192 MB download). Empty: the default index.
TORCH_INDEX ?=
TORCH_PIN   := $(shell grep -E '^torch==' requirements.txt)
# Extra arguments for JupyterLab, e.g. make lab LAB_ARGS="--no-browser --port 8888" on a remote machine.
LAB_ARGS ?=
# Numeric environments for make test-any-cpu (see tools/test_any_cpu.py).
CPU_ENVS ?= no-avx avx2 avx512

.PHONY: help install lab test test-fast test-any-cpu notebooks lint bench images clean

help:
	@echo "make lab        open the course in JupyterLab (creates .venv on first use)"
	@echo "make test       run every test: unit, property, notebooks (strict nbval), browser"
	@echo "make test-fast  unit and property tests only"
	@echo "make test-any-cpu  strict nbval under no-AVX / AVX2 / AVX-512 settings (CPU_ENVS=...)"
	@echo "make notebooks  re-execute every notebook top to bottom and store the outputs"
	@echo "make lint       ruff on course_utils, tests, benchmarks and notebooks"
	@echo "make bench      print the performance figures"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(LAB_STAMP): requirements.txt pyproject.toml | $(PY)
	$(if $(TORCH_INDEX),$(BIN)/pip install --quiet --index-url $(TORCH_INDEX) $(TORCH_PIN))
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(TEST_STAMP): $(LAB_STAMP) requirements-test.txt
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@

install: $(LAB_STAMP)

# --allow-root only where it is needed (containers, CI machines run as root)
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(LAB_STAMP)
	$(BIN)/jupyter lab $(ROOT_FLAG) $(LAB_ARGS) notebooks/00_start_here.ipynb

# Tests run on every core (at most 4 workers); a notebook or a test file stays on one worker.
PARALLEL := -n auto --maxprocesses 4 --dist loadscope

test: $(TEST_STAMP)
	$(PY) -m pytest $(PARALLEL)

test-fast: $(TEST_STAMP)
	$(PY) -m pytest $(PARALLEL) tests --ignore=tests/browser

test-any-cpu: $(TEST_STAMP)
	$(PY) tools/test_any_cpu.py $(CPU_ENVS)

notebooks: $(TEST_STAMP)
	$(PY) tools/execute_notebooks.py

lint: $(TEST_STAMP)
	$(BIN)/ruff check course_utils tests benchmarks tools notebooks

bench: $(TEST_STAMP)
	@for script in benchmarks/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

images: $(LAB_STAMP)
	$(PY) -m course_utils.images

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache
