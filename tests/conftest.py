"""Shared fixtures: paths of the repository and helpers to run the CLI in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture
def repo() -> Path:
    return REPO
