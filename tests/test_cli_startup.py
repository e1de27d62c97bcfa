"""`--help` and `--version` answer before the library is imported: the parser needs only `generator.settings`."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO

PROBE = """
import sys
from generator import cli
try:
    cli.run(["--version"])
except SystemExit:
    pass
print(" ".join(sorted(m for m in sys.modules if m.startswith("generator"))))
"""


def test_version_and_help_import_only_the_parser() -> None:
    for argv in (["--version"], ["--help"]):
        probe = PROBE.replace('["--version"]', repr(argv))
        done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
        loaded = done.stdout.split("\n")[-2].split()
        assert loaded == ["generator", "generator.cli", "generator.settings"], argv
