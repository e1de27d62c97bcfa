"""`mtc-policygen completion`: a shell completion script generated from the parser."""

from __future__ import annotations

import argparse
import sys

from generator.settings import EXIT_OK


def run(args: argparse.Namespace) -> int:
    import shtab  # noqa: PLC0415 - only this command needs it

    sys.stdout.write(shtab.complete(args.root_parser, shell=args.shell))
    return EXIT_OK
