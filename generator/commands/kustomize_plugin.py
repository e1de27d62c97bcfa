"""`mtc-policygen kustomize-plugin install`: the kustomize legacy exec plugin's launcher."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator.settings import EXIT_OK, EXIT_USAGE


def run(args: argparse.Namespace) -> int:
    """`install DIR`: a small launcher that runs this installed package (never a copy of it), at spec §2's path."""
    from generator.runtimes.legacy import install  # noqa: PLC0415

    home = Path(args.home)
    if home.exists() and not home.is_dir():
        sys.stderr.write(f"mtc-policygen: {home} is not a folder; give the kustomize plugin home\n")
        return EXIT_USAGE
    try:
        path = install(home)
    except OSError as exc:
        sys.stderr.write(f"mtc-policygen: cannot install into {home}: {exc.strerror or exc}\n")
        return EXIT_USAGE
    sys.stderr.write(
        f"installed {path}\nuse it with KUSTOMIZE_PLUGIN_HOME={home.resolve()} kustomize build --enable-alpha-plugins\n"
    )
    return EXIT_OK
