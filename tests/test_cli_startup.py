"""`--help` and `--version` answer before the library is imported: the parser needs only `generator.settings`."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO, installed_script

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


def test_an_unknown_cluster_is_a_usage_error_for_every_command() -> None:
    """render and uninstall agree: `--cluster` naming no cluster of the pair is exit 2, the error names the pair's."""
    spec = str(REPO / "examples" / "ovn-nodeport-strict.yaml")
    for command in ("render", "uninstall"):
        done = subprocess.run(
            [str(installed_script("mtc-policygen")), command, spec, "--cluster", "nope"],
            cwd=REPO, capture_output=True, text=True, check=False,
        )
        assert done.returncode == 2, (command, done.stderr)
        assert "one of: ocp414-east, ocp416-west" in done.stderr, command
        assert done.stdout == "", command
