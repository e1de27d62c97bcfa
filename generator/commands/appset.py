"""`mtc-policygen appset`: the Argo CD ApplicationSets of a folder of specs."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from generator.settings import EXIT_OK, EXIT_USAGE


def _repo_path(spec_dir: Path) -> str | None:
    """SPEC-DIR's path inside its git repository: as given when relative and inside, else found from `.git`."""
    if not spec_dir.is_absolute() and ".." not in spec_dir.parts:
        return Path(os.path.normpath(spec_dir)).as_posix()
    from generator import overlays  # noqa: PLC0415

    here = spec_dir.resolve()
    root = overlays.repository_root(here)
    return here.relative_to(root).as_posix() if root is not None else None


def run(args: argparse.Namespace) -> int:
    """The ApplicationSet on stdout; 0, or 2 with the problems on stderr."""
    from generator import appset  # noqa: PLC0415
    from generator.problems import format_text, has_errors  # noqa: PLC0415
    from generator.render.yamlout import dump_stream  # noqa: PLC0415

    spec_dir = Path(args.spec_dir)
    if not spec_dir.is_dir():
        args.parser.error(f"{args.spec_dir}: not a folder")
    prefix = args.path_prefix if args.path_prefix is not None else _repo_path(spec_dir)
    if prefix is None:
        args.parser.error(f"{args.spec_dir} is not inside a git repository; give --path-prefix")
        return EXIT_USAGE  # not reached: error() exits with it
    options = appset.Options(
        repo_url=args.repo_url,
        revision=args.revision,
        path_prefix=prefix.strip("/"),
        name=args.name,
        namespace=args.namespace,
        project=args.project,
    )
    items, problems = appset.elements(spec_dir, options)
    sys.stderr.write(format_text(problems))
    if has_errors(problems, strict=args.strict):
        return EXIT_USAGE
    sys.stdout.write(dump_stream(appset.application_sets(items, options)))
    return EXIT_OK
