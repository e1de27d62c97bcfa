"""Shared fixtures: paths of the repository, the installed console scripts, and helpers to run the CLI."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
GOLDEN = Path(__file__).resolve().parent / "golden"

# Tests run in parallel worker processes (pytest-xdist): no example database in the repository for them to share.
# The property tests are derandomized, so a failure reproduces without one.
settings.register_profile("mtc-policygen", database=None)
settings.load_profile("mtc-policygen")

# The console scripts end-to-end tests run: those of the venv the built wheel was installed into (`make test`
# sets MTC_POLICYGEN_BIN), else those of the venv running pytest. Run them with a working directory outside
# the repository, so that `generator` is imported from where the package was installed.
BIN_ENV = "MTC_POLICYGEN_BIN"
INSTALLED_BIN = Path(os.environ.get(BIN_ENV) or Path(sys.executable).parent)


def installed_script(name: str) -> Path:
    """`mtc-policygen` or `mtc-policygen-krm` as installed; a missing one fails the test, it never skips."""
    script = INSTALLED_BIN / name
    if not script.is_file():
        pytest.fail(f"{script} is not installed (${BIN_ENV}={os.environ.get(BIN_ENV, '')!r})")
    return script


@pytest.fixture(autouse=True)
def _gc_as_found() -> Iterator[None]:
    """The CLI entry points switch the cyclic GC off for their short-lived process; in-process tests that call them
    must not leave it off for the tests that follow (test order would then change results)."""
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()


@pytest.fixture(autouse=True)
def _own_generate_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test its own cache of unchanged specs (generator/overlay/cache.py): never the user's, never shared."""
    monkeypatch.setenv("MTC_POLICYGEN_CACHE_DIR", str(tmp_path_factory.mktemp("generate-cache")))


@pytest.fixture
def repo() -> Path:
    return REPO
