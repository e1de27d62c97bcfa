"""`mtc-policygen argocd-generate`: the Argo CD plugin's generate command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator.commands.common import root_environ
from generator.settings import EXIT_OK, EXIT_PROBLEMS


def run(args: argparse.Namespace) -> int:
    """A YAML stream on stdout, or the problems on stderr and exit 1 with stdout empty (Argo CD shows stderr)."""
    from generator.problems import ProblemsError, format_text  # noqa: PLC0415
    from generator.render.yamlout import dump_stream  # noqa: PLC0415
    from generator.runtimes import argocd  # noqa: PLC0415

    try:
        output = argocd.generate(Path.cwd(), root_environ(args))
    except ProblemsError as exc:
        sys.stderr.write(format_text(exc.problems))
        return EXIT_PROBLEMS
    sys.stderr.write(format_text(output.problems))  # on success Argo CD only logs stderr in the sidecar
    if not output.objects:  # mode policies with nothing open: a stream of no objects, said in a comment
        sys.stdout.write("# mtc-policygen: no DVM opening on this cluster (the openings are closed or none apply)\n")
        return EXIT_OK
    sys.stdout.write(dump_stream(output.objects))
    return EXIT_OK
