"""`mtc-policygen init`: a commented starter spec that validates as written."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from generator.commands.common import info, report
from generator.mtc.openings import utc_text
from generator.problems import has_errors
from generator.settings import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, INIT_WINDOW_DAYS

if TYPE_CHECKING:
    from generator.init import Answers


def _ask(question: str, default: str = "") -> str:
    shown = f" [{default}]" if default else ""
    sys.stderr.write(f"{question}{shown}: ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    if not answer:
        raise EOFError
    return answer.strip() or default


def _init_answers(args: argparse.Namespace) -> Answers:
    """The flags, with what is missing asked on a terminal; raises AnswerError for an answer it cannot use."""
    from generator import init  # noqa: PLC0415

    missing = [flag for flag in ("source", "target", "namespaces") if getattr(args, flag) is None]
    if missing and not sys.stdin.isatty():
        raise init.AnswerError(f"give {', '.join('--' + m for m in missing)} (or run init on a terminal)")
    source = args.source or _ask("source cluster: OpenShift version[/network type]", "4.12/OVNKubernetes")
    target = args.target or _ask("target cluster: OpenShift version[/network type]", "4.16/OVNKubernetes")
    namespaces = args.namespaces or _ask("namespaces to migrate (comma-separated)")
    firewall, cidrs = _firewall_answers(args, missing)
    return init.Answers(
        source=init.parse_cluster(source, "--source"),
        target=init.parse_cluster(target, "--target"),
        namespaces=init.parse_names(namespaces, "--namespaces"),
        name=args.name,
        source_name=args.source_name,
        target_name=args.target_name,
        egress_firewall=firewall,
        target_cidrs=_cidr_list(cidrs),
        endpoint=args.endpoint,
        policy_mode=args.mode,
        closes_at=args.closes_at or _default_deadline(),
    )


def _firewall_answers(args: argparse.Namespace, missing: list[str]) -> tuple[bool, str | None]:
    """Whether the namespaces have an egress firewall and the target CIDRs, asked when the flags leave them out."""
    firewall = args.egress_firewall
    if "namespaces" in missing and not firewall:
        firewall = _ask("do they have an egress firewall? (y/n)", "n").lower().startswith("y")
    cidrs = args.target_cidrs
    if cidrs is None and firewall and missing:
        cidrs = _ask("where the source reaches the target (CIDRs, comma-separated; empty: a placeholder)")
    return firewall, cidrs


def _cidr_list(cidrs: str | None) -> tuple[str, ...]:
    return tuple(c.strip() for c in (cidrs or "").split(",") if c.strip())


def _default_deadline() -> str:
    """Midnight UTC `INIT_WINDOW_DAYS` days after now: openings are a window, so a new spec has a deadline."""
    import datetime  # noqa: PLC0415

    from generator.mtc.openings import now_from  # noqa: PLC0415

    day = now_from(os.environ) + datetime.timedelta(days=INIT_WINDOW_DAYS)
    return utc_text(day.replace(hour=0, minute=0, second=0))


def run(args: argparse.Namespace) -> int:
    from generator import init  # noqa: PLC0415

    try:
        answers = _init_answers(args)
    except init.AnswerError as exc:
        args.parser.error(str(exc))
    except (EOFError, KeyboardInterrupt):
        sys.stderr.write("\nmtc-policygen init: nothing written\n")
        return EXIT_USAGE
    path = Path(args.output or f"{init.pair_name(answers)}.yaml")
    text = init.render(answers)
    problems = init.check(text, path)
    if has_errors(problems):
        report(problems, "text")
        sys.stderr.write(
            f"mtc-policygen init: these answers do not make a valid spec ({path} is not written); change the flags "
            "the fields above come from (e.g. a network type: --source 4.14/OVNKubernetes)\n"
        )
        return EXIT_PROBLEMS
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as stream:  # "x": never replaces a file
            stream.write(text)
    except FileExistsError:
        sys.stderr.write(f"mtc-policygen init: {path} exists; it is never overwritten (choose another -o)\n")
        return EXIT_USAGE
    except OSError as exc:
        sys.stderr.write(f"mtc-policygen init: cannot write {path}: {exc.strerror or exc}\n")
        return EXIT_USAGE
    report(problems, "text")
    if init.needs_cidrs(answers) and not answers.target_cidrs:
        sys.stderr.write(f"note: {path}: replace the placeholder target.cidrs ({init.PLACEHOLDER_CIDR})\n")
    info(f"wrote {path}; next: mtc-policygen generate {shlex.quote(str(path))} -o overlays\n")
    return EXIT_OK
