"""What every command shares: exit codes, how problems and summary lines are printed, progress, the run's root."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from generator.clusterpair.files import FileAccess, UnreadableFileError, path_limit_problem, repository_of
from generator.problems import Problem, Severity, format_github, format_json, format_text
from generator.settings import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, ROOT_ENV

if TYPE_CHECKING:
    from generator.mtc.network import Environment
    from generator.mtc.resolve import ResolvedPair


# Usage errors or input that cannot be read: exit 2 (an unknown --cluster is a usage error for every command).
UNREADABLE_RULES = {"unreadable-file", "file-too-large", "not-yaml", "no-specs", "unknown-cluster"}
PROGRESS_DELAY_ENV = "MTC_POLICYGEN_PROGRESS_DELAY"  # seconds before a progress line shows (default 1)
_quiet = False  # --quiet: problems only (no info problems, no summary lines)


def set_quiet(quiet: bool) -> None:
    global _quiet  # noqa: PLW0603 - one run per process; set before any command prints
    _quiet = quiet


def info(line: str) -> None:
    """A summary line on stderr, unless --quiet."""
    if not _quiet:
        sys.stderr.write(line)


def report(problems: Sequence[Problem], fmt: str, *, objects_on_stdout: bool = False) -> None:
    """text on stderr; json and github on stdout, except for a command whose stdout is objects (`render ... |
    oc apply -f -`): there every format goes to stderr, so stdout stays a pure object stream."""
    out = sys.stderr if objects_on_stdout else sys.stdout
    if _quiet:
        problems = [p for p in problems if p.severity is not Severity.INFO]
    if fmt == "json":
        out.write(format_json(problems))
    elif fmt == "github":
        out.write(format_github(problems))
    else:
        sys.stderr.write(format_text(problems))


def exit_code(problems: Sequence[Problem], strict: bool) -> int:
    from generator.problems import has_errors  # noqa: PLC0415

    if any(p.rule in UNREADABLE_RULES for p in problems):
        return EXIT_USAGE
    return EXIT_PROBLEMS if has_errors(problems, strict=strict) else EXIT_OK


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class Progress:
    """`what done/total` on one line of a terminal's stderr, once a run has lasted a while; never in a pipe."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        try:
            self.delay = float(os.environ.get(PROGRESS_DELAY_ENV, "1"))
        except ValueError:
            self.delay = 1.0
        self.start = time.monotonic()
        self.last = 0.0
        self.shown = False

    def __call__(self, what: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.start < self.delay or (now - self.last < 0.1 and done < total):
            return
        self.last = now
        self.shown = True
        self.stream.write(f"\r{what}: {done:,}/{total:,}\033[K")
        self.stream.flush()

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False


def files_of(args: argparse.Namespace, inputs: Sequence[str]) -> FileAccess:
    """The run's root, decided once here (docs/argo-cd.md): --root, $MTC_POLICYGEN_ROOT, else the repository
    holding the specs given (their common folder's nearest ancestor with .git, or that folder)."""
    reals = [os.path.realpath(i) for i in inputs if i and "\x00" not in i] or [os.getcwd()]
    try:
        return FileAccess.decide(repository_of(Path(os.path.commonpath(reals))), os.environ, args.root)
    except UnreadableFileError as exc:
        args.parser.error(str(exc))
        raise  # not reached: error() exits


def root_environ(args: argparse.Namespace) -> Mapping[str, str]:
    """The environment with --root as MTC_POLICYGEN_ROOT (argocd-generate decides its root from both)."""
    return {**os.environ, ROOT_ENV: args.root} if args.root else os.environ


def openings_lines(resolved: Sequence[ResolvedPair]) -> str:
    """Per pair that declares `openings`, their state (spec §9): open until ..., closed since ..., closed."""
    from generator.clusterpair.model import OpeningsSpec  # noqa: PLC0415 - a no-op `generate` loads no model

    return "".join(
        f"  {r.name}: openings {r.openings.describe()}\n" for r in resolved if r.spec.openings != OpeningsSpec()
    )


def check_path_lengths(args: argparse.Namespace) -> None:
    """A path longer than the file system takes is a usage error naming the limit, not an OSError later."""
    named = [("-o", getattr(args, "output", None)), ("SPEC", getattr(args, "spec", None))]
    named += [("SPEC", path) for path in getattr(args, "specs", None) or []]
    for option, value in named:
        problem = path_limit_problem(value) if isinstance(value, str) else None
        if isinstance(value, str) and problem:
            args.parser.error(f"{option} {value[:60]!r}…: {problem}")


def environment(args: argparse.Namespace, inputs: Sequence[str]) -> Environment:
    """What every command knows beyond its specs, decided once here: the read root and "now"
    (SOURCE_DATE_EPOCH when set, else the clock; a bad value is a usage error)."""
    from generator.mtc.network import Environment  # noqa: PLC0415
    from generator.mtc.openings import now_from  # noqa: PLC0415

    return Environment(files=files_of(args, inputs), now=now_from(os.environ))
