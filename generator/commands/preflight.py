"""`mtc-policygen preflight`: what blocks DVM in the clusters' state, today and after the output."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator.commands.common import UNREADABLE_RULES, environment
from generator.settings import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE


def run(args: argparse.Namespace) -> int:
    """spec §6: 0 nothing blocks after the generated output, 1 otherwise, 2 usage or unreadable state."""
    from generator.preflight import run as pf  # noqa: PLC0415
    from generator.problems import format_text  # noqa: PLC0415

    given = _cluster_values(args)
    if given is None:
        return EXIT_USAGE
    states = {name: Path(file) for name, file in given["--state"].items()}
    env = environment(args, [args.spec])
    outcome = pf.preflight(Path(args.spec), states, given["--context"], env=env)
    if outcome.report is None:
        (sys.stderr if args.format == "text" else sys.stdout).write(pf.format_problems(outcome.problems, args.format))
        unreadable = outcome.unreadable or any(p.rule in UNREADABLE_RULES for p in outcome.problems)
        return EXIT_USAGE if unreadable else EXIT_PROBLEMS
    if outcome.problems and args.format == "text":
        sys.stderr.write(format_text(outcome.problems))
    formats = {"json": pf.format_report_json, "github": pf.format_report_github, "text": pf.format_report_text}
    sys.stdout.write(formats[args.format](outcome.report))
    return EXIT_PROBLEMS if outcome.report.blocked_after else EXIT_OK


def _cluster_values(args: argparse.Namespace) -> dict[str, dict[str, str]] | None:
    """`--state` and `--context` as cluster -> value; None (the usage error written) for a malformed or repeated one."""
    given: dict[str, dict[str, str]] = {"--state": {}, "--context": {}}
    for flag, values in (("--state", args.state), ("--context", args.context)):
        for value in values:
            cluster, sep, target = value.partition("=")
            if not sep or not cluster or not target or cluster in given[flag]:
                why = "is given twice" if cluster in given[flag] else "takes CLUSTER=VALUE"
                sys.stderr.write(f"mtc-policygen preflight: error: {flag} {why}: {value!r}\n")
                return None
            given[flag][cluster] = target
    return given
