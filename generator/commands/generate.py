"""`mtc-policygen generate`: write (or `--check`) the overlays of specs, atomically, skipping unchanged pairs."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from generator import api, overlays
from generator.commands.common import Progress, environment, exit_code, info, openings_lines, plural, report
from generator.mtc.network import Environment
from generator.mtc.openings import utc_text
from generator.problems import Problem, ProblemsError
from generator.settings import DIFF_LINES, EXIT_OK, EXIT_PROBLEMS

if TYPE_CHECKING:
    from generator.mtc.resolve import ResolvedPair


def _changes(run: overlays.GenerateRun, verbose: bool) -> str:
    """Per pair: files added, changed, removed (and each file with -v)."""
    lines = []
    for pair in run.changes:
        counts = f"{len(pair.added)} added, {len(pair.modified)} changed, {len(pair.removed)} removed"
        lines.append(f"  {pair.pair}: {counts}\n")
        if verbose:
            marks = [("+", pair.added), ("~", pair.modified), ("-", pair.removed)]
            files = sorted((path, mark) for mark, paths in marks for path in paths)
            lines += [f"    {mark} {path}\n" for path, mark in files]
    return "".join(lines)


def _plan(
    args: argparse.Namespace, env: Environment, progress: Progress
) -> tuple[overlays.GenerateRun | None, list[Problem], list[ResolvedPair]]:
    """Load and check the specs (the skip cache spares unchanged ones), then plan the writes; no plan when the
    specs have problems that stop the run (the problems say why)."""
    out_dir = Path(args.output)
    skip = overlays.SkipUnchanged(out_dir, env, allow_secrets=args.allow_secrets_in_output)
    refuse = not args.allow_secrets_in_output
    loaded = api.load_specs(args.specs, env, unique_names=True, refuse_secrets=refuse, progress=progress, skip=skip)
    problems = list(loaded.problems)
    if exit_code(problems, args.strict) != EXIT_OK:
        return None, problems, loaded.resolved
    run = overlays.plan_generate(
        loaded.resolved,
        out_dir,
        env,
        allow_secrets=args.allow_secrets_in_output,
        progress=progress,
        skip=skip,
        unchanged=loaded.unchanged,
    )
    return run, problems, loaded.resolved


def _check(
    args: argparse.Namespace, run: overlays.GenerateRun, problems: list[Problem], resolved: list[ResolvedPair]
) -> int:
    """`generate --check`: plan only; writes nothing and takes no lock."""
    out_dir = Path(args.output)
    report(problems, args.format)
    if run.plan.stale:
        command = shlex.join(["mtc-policygen", "generate", *args.specs, "-o", args.output])
        sys.stderr.write(_expired(resolved))
        sys.stderr.write(f"{out_dir}: overlays are stale; run: {command}\n")
        sys.stderr.write(_changes(run, args.verbose))
        if args.diff:
            _print_diff(run)
        return EXIT_PROBLEMS
    info(f"{out_dir}: overlays are up to date ({plural(run.pairs, 'pair')})\n")
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    if args.diff and not args.check:
        args.parser.error("--diff goes with --check")
    usage = overlays.output_dir_problem(args.output)
    if usage:
        args.parser.error(f"-o {args.output!r}: {usage}")
    env = environment(args, args.specs)
    progress = Progress(sys.stderr)
    out_dir = Path(args.output)
    try:
        if args.check:
            run, problems, resolved = _plan(args, env, progress)
            progress.clear()
            return _check(args, run, problems, resolved) if run is not None else _fail_report(args, problems)
        from generator.overlay import lock, writer  # noqa: PLC0415 - only generate writes overlays

        # One run at a time from reading the manifest to the commit: the skip cache and the plan read what the
        # previous run wrote, and an interrupted run is repaired before either looks.
        with lock.locked(out_dir):
            repaired = writer.recover(out_dir)
            if repaired:
                progress.clear()
                sys.stderr.write(f"{out_dir}: {repaired}\n")
            run, problems, resolved = _plan(args, env, progress)
            progress.clear()
            if run is None:
                return _fail_report(args, problems)
            run.apply()
    except ProblemsError as exc:
        progress.clear()
        report(list(exc.problems), args.format)
        return exit_code(exc.problems, args.strict) or EXIT_PROBLEMS
    report(problems, args.format)
    plan = run.plan
    total = len(plan.added) + len(plan.modified) + len(plan.removed)
    info(
        f"wrote {out_dir}/: {plural(run.pairs, 'pair')}, {total} file(s) changed ({len(plan.added)} added, "
        f"{len(plan.modified)} changed, {len(plan.removed)} removed); {run.rendered} rendered, "
        f"{run.pairs - run.rendered} unchanged\n"
    )
    info(_changes(run, args.verbose))
    info(openings_lines(resolved))
    return EXIT_OK


def _fail_report(args: argparse.Namespace, problems: list[Problem]) -> int:
    report(problems, args.format)
    return exit_code(problems, args.strict)


def _print_diff(run: overlays.GenerateRun) -> None:
    diff, left_out = overlays.stale_diff(run, DIFF_LINES)
    sys.stdout.write(diff)
    if left_out:
        more = plural(left_out, "more changed file")
        sys.stdout.write(f"... {more} not shown (the diff is capped at {DIFF_LINES} lines)\n")


def _expired(resolved: Sequence[ResolvedPair]) -> str:
    """`generate --check` once a deadline passed: which pair closed, and when (CI says why it fails)."""
    return "".join(
        f"{r.name}: the openings closed at {utc_text(r.openings.closes_at)} (closesAt passed); regenerate to remove "
        "its DVM NetworkPolicies and egress firewall rules from the overlays\n"
        for r in resolved
        if r.openings.expired and r.openings.closes_at is not None
    )
