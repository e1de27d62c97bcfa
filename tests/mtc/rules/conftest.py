"""The folder the rule tests' specs name files in (`base` folders, CA bundles, mirror mappings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mtc.rules.cases import make_spec_dir


@pytest.fixture
def spec_dir(tmp_path: Path) -> Path:
    """See `make_spec_dir`: what each folder holds."""
    return make_spec_dir(tmp_path)
