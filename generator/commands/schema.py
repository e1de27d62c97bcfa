"""`mtc-policygen schema`: the JSON Schema of ClusterPair."""

from __future__ import annotations

import argparse
import sys

from generator.settings import EXIT_OK


def run(args: argparse.Namespace) -> int:
    import json  # noqa: PLC0415

    from generator.clusterpair.schema import json_schema  # noqa: PLC0415

    sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")
    return EXIT_OK
