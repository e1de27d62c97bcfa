"""`mtc-policygen uninstall`: the ordered uninstall plan of one cluster (runs nothing)."""

from __future__ import annotations

import argparse
import sys

from generator.commands.common import environment
from generator.settings import EXIT_OK, EXIT_USAGE


def run(args: argparse.Namespace) -> int:
    """The ordered uninstall plan for one cluster: close, out of Argo CD, delete what we made; exit 0, or 2."""
    from generator import api, pipeline  # noqa: PLC0415
    from generator.problems import ProblemsError, format_text, has_errors  # noqa: PLC0415
    from generator.render.install.uninstall import uninstall_plan  # noqa: PLC0415

    env = environment(args, [args.spec])
    loaded = api.load_specs([args.spec], env)
    problems = list(loaded.problems)
    try:
        cluster = pipeline.cluster_of(loaded.pairs[0], args.cluster, args.spec, "--cluster") if loaded.pairs else None
    except ProblemsError as exc:
        problems, cluster = [*problems, *exc.problems], None
    sys.stderr.write(format_text(problems))
    if cluster is None or has_errors(problems):
        return EXIT_USAGE
    plan = uninstall_plan(loaded.resolved[0], cluster.name, argocd_namespace=args.argocd_namespace)
    sys.stdout.write(plan.as_json() if args.format == "json" else plan.as_text())
    return EXIT_OK
