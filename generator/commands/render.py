"""`mtc-policygen render`: one cluster's objects of one spec as a YAML stream."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator.commands.common import environment, exit_code, info, report
from generator.settings import EXIT_OK, EXIT_PROBLEMS


def run(args: argparse.Namespace) -> int:
    from generator import api, pipeline  # noqa: PLC0415
    from generator.problems import ProblemsError  # noqa: PLC0415
    from generator.render.yamlout import dump_stream  # noqa: PLC0415

    if Path(args.spec).is_dir():  # one spec, one cluster: a folder could hold several pairs
        args.parser.error(f"{args.spec} is a folder; render takes one ClusterPair spec file")
    env = environment(args, [args.spec])
    loaded = api.load_specs([args.spec], env)
    problems = list(loaded.problems)
    code = exit_code(problems, args.strict)
    if code != EXIT_OK or not loaded.pairs:
        report(problems, args.format, objects_on_stdout=True)
        return code or EXIT_PROBLEMS
    pair = loaded.pairs[0]
    try:
        cluster = pipeline.cluster_of(pair, args.cluster, args.spec, "--cluster")
        render = pipeline.render(loaded.resolved[0], cluster)  # reads the credentials this cluster carries
    except ProblemsError as exc:
        report([*problems, *exc.problems], args.format, objects_on_stdout=True)
        return exit_code(exc.problems, args.strict) or EXIT_PROBLEMS
    report(problems, args.format, objects_on_stdout=True)
    if any(f.whole is None for f in render.firewalls):
        info(
            "note: EgressFirewall/EgressNetworkPolicy patches are shown as partial objects holding only "
            "the DVM rules; apply them through the overlay, never alone\n"
        )
    sys.stdout.write(dump_stream(render.objects()))
    return EXIT_OK
