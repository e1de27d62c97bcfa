"""Where the Jinja2 templates of the emitted files are: one lookup for a checkout, an editable and a wheel install.

The templates live in the repository's top-level `templates/` folder, as the design lays it out. A wheel ships them
inside the package as `generator/templates/` (setup.py); a checkout, installed editable or not at all, has them
beside the package. The renderer and the tool fingerprint both read them through `folder()`, so the three ways of
running see the same files and compute the same fingerprint (a wheel and an editable install of one commit must
not make the skip cache churn).
"""

from __future__ import annotations

import functools
from pathlib import Path

FOLDER = "templates"
SUFFIX = ".j2"
PACKAGE = Path(__file__).resolve().parent.parent


@functools.cache
def folder() -> Path:
    """The folder holding the `*.j2` templates: inside the package (a wheel), else beside it (a checkout)."""
    for candidate in (PACKAGE / FOLDER, PACKAGE.parent / FOLDER):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the {FOLDER}/ folder of mtc-policygen is missing beside {PACKAGE}; reinstall it")


def names() -> list[str]:
    """Every template's file name, sorted."""
    return sorted(path.name for path in folder().iterdir() if path.name.endswith(SUFFIX))
