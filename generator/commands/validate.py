"""`mtc-policygen validate`: check specs (files, folders, stdin) and report their problems."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator import api
from generator.commands.common import environment, exit_code, info, openings_lines, plural, report
from generator.mtc.rules.openings import no_deadline
from generator.settings import EXIT_OK


def run(args: argparse.Namespace) -> int:
    files = [spec for spec in args.specs if spec != "-"]
    env = environment(args, files or ["."])
    loaded = api.load_specs(files, env, specs_only=args.skip_non_specs) if files else api.Loaded()
    if "-" in args.specs:  # a spec on stdin; its relative paths (base, files) are read from the current folder
        stdin = api.load_text(sys.stdin.read(), "<stdin>", Path.cwd(), env)
        loaded.problems += stdin.problems
        loaded.pairs += stdin.pairs
        loaded.resolved += stdin.resolved  # so --strict and the openings line see it like a file
    if args.strict:  # an open window with no deadline is a warning only when asked to be strict
        loaded.problems += [p for p in map(no_deadline, loaded.resolved) if p is not None]
    report(loaded.problems, args.format)
    code = exit_code(loaded.problems, args.strict)
    if code == EXIT_OK and args.format == "text":
        skipped = f"; {plural(len(loaded.skipped), 'other YAML file')} skipped" if loaded.skipped else ""
        info(openings_lines(loaded.resolved))
        info(f"ok: {len(loaded.pairs)} ClusterPair spec(s) valid{skipped}\n")
    return code
