"""`mtc-policygen-krm`: the KRM exec function (kustomize `--enable-alpha-plugins --enable-exec`, kpt `--exec`).

This module is the command line (`--help`, `--version`, a terminal on stdin); the function itself — reading the
ResourceList, generator or transformer per object, writing it back — is generator/runtimes/krm.py, with the
decisions in generator/transform.py.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from generator import __version__
from generator.runtimes.krm import main as run_function

EXIT_USAGE = 2

_DESCRIPTION = """\
KRM exec function of mtc-policygen: reads one ResourceList on stdin and writes it back with one cluster of a
ClusterPair applied: the MigrationController and egress firewalls found among the items are patched, the
other objects added. Run it through `kustomize build --enable-alpha-plugins --enable-exec` or
`kpt fn eval --exec mtc-policygen-krm`; the function config is a ClusterPair with the annotation
mtc-policygen.io/cluster and either an inline spec or mtc-policygen.io/spec-file.
"""


def _arguments(argv: Sequence[str] | None) -> None:
    parser = argparse.ArgumentParser(
        prog="mtc-policygen-krm",
        description=_DESCRIPTION,
        epilog="Exit codes: 0 ok, 1 problems (also in the ResourceList's results), 2 usage.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mtc-policygen-krm {__version__}")
    parser.parse_args(argv)  # --help and --version exit here; anything else is a usage error (exit 2)


def main(argv: Sequence[str] | None = None) -> int:
    _arguments(argv)
    if sys.stdin.isatty():
        sys.stderr.write(
            "mtc-policygen-krm: stdin is a terminal; this KRM function reads a ResourceList on stdin. "
            "Run it through kustomize or kpt (see mtc-policygen-krm --help).\n"
        )
        return EXIT_USAGE
    return run_function()
