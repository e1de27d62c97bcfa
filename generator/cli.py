"""The `mtc-policygen` command line: parse arguments, call `generator.api`, print. Nothing else lives here.

Exit codes (spec §6): 0 ok, 1 problems, 2 usage or unreadable input. Problems go to stderr as
`file:line:col: severity: field.path: message`; no command prints a traceback for bad input.

Each subcommand is one `_add_<name>` function (its arguments) and one `_cmd_<name>` function (its work),
listed in `COMMANDS`; adding a command adds one such pair.
"""

from __future__ import annotations

import argparse
import gc
import os
import shlex
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from generator import __version__, api
from generator.mtc.network import Environment
from generator.mtc.openings import utc_text
from generator.mtc.rules.openings import no_deadline
from generator.problems import (
    Problem,
    ProblemsError,
    Severity,
    format_github,
    format_json,
    format_text,
    has_errors,
)
from generator.spec.files import ROOT_ENV, SECRET_DIRS_ENV, FileAccess, UnreadableFileError, repository_of
from generator.spec.model import OpeningsSpec
from generator.spec.yamlsource import path_limit_problem

if TYPE_CHECKING:
    from generator.init import Answers
    from generator.mtc.resolve import ResolvedPair

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
_UNREADABLE_RULES = {"unreadable-file", "file-too-large", "not-yaml", "no-specs"}
PROGRESS_DELAY_ENV = "MTC_POLICYGEN_PROGRESS_DELAY"  # seconds before a progress line shows (default 1)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


# Exit codes as every command's --help lists them.
_EXIT_CODES = "exit codes: 0 ok, 1 problems found, 2 usage error or unreadable input"
_quiet = False  # --quiet: problems only (no info problems, no summary lines)


def _help(example: str, codes: str = _EXIT_CODES) -> dict[str, Any]:
    """add_parser keywords for a command's --help: its example(s) and exit codes after the options."""
    return {"epilog": f"example:\n{example}\n\n{codes}", "formatter_class": argparse.RawDescriptionHelpFormatter}


def _info(line: str) -> None:
    """A summary line on stderr, unless --quiet."""
    if not _quiet:
        sys.stderr.write(line)


def _report(problems: Sequence[Problem], fmt: str, *, objects_on_stdout: bool = False) -> None:
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


def _exit_code(problems: Sequence[Problem], strict: bool) -> int:
    from generator.problems import has_errors  # noqa: PLC0415

    if any(p.rule in _UNREADABLE_RULES for p in problems):
        return EXIT_USAGE
    return EXIT_PROBLEMS if has_errors(problems, strict=strict) else EXIT_OK


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class _Progress:
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


# --- validate ---------------------------------------------------------------------------------------------


def _add_validate(sub: argparse._SubParsersAction[_Parser]) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "validate",
        help="check ClusterPair specs",
        description="Check ClusterPair specs: their schema, and what MTC and each OpenShift version accept.",
        **_help(
            "  mtc-policygen validate examples/ovn-nodeport-strict.yaml specs/\n"
            "  mtc-policygen validate - < pair.yaml      # a spec on stdin"
        ),
    )
    p.add_argument(
        "specs",
        nargs="+",
        metavar="SPEC-or-DIR",
        help="a spec file (.yaml, .yml or .json), a folder (the specs directly inside it), or - for stdin",
    )
    p.add_argument(
        "--skip-non-specs",
        action="store_true",
        help="skip files given that are not ClusterPair specs (by their text), as a pre-commit hook does",
    )
    return p


def _cmd_validate(args: argparse.Namespace) -> int:
    files = [spec for spec in args.specs if spec != "-"]
    env = Environment(files=_files(args, files or ["."]))
    loaded = api.load_specs(files, env, specs_only=args.skip_non_specs) if files else api.Loaded()
    if "-" in args.specs:  # a spec on stdin; its relative paths (base, files) are read from the current folder
        stdin = api.load_text(sys.stdin.read(), "<stdin>", Path.cwd(), env)
        loaded.problems += stdin.problems
        loaded.pairs += stdin.pairs
    if args.strict:  # an open window with no deadline is a warning only when asked to be strict
        loaded.problems += [p for p in map(no_deadline, loaded.resolved) if p is not None]
    _report(loaded.problems, args.format)
    code = _exit_code(loaded.problems, args.strict)
    if code == EXIT_OK and args.format == "text":
        skipped = f"; {_plural(len(loaded.skipped), 'other YAML file')} skipped" if loaded.skipped else ""
        _info(_openings(loaded.resolved))
        _info(f"ok: {len(loaded.pairs)} ClusterPair spec(s) valid{skipped}\n")
    return code


def _openings(resolved: Sequence[ResolvedPair]) -> str:
    """Per pair that declares `openings`, their state (spec §9): open until ..., closed since ..., closed."""
    return "".join(
        f"  {r.name}: openings {r.openings.describe()}\n" for r in resolved if r.spec.openings != OpeningsSpec()
    )


def _expired(resolved: Sequence[ResolvedPair]) -> str:
    """`generate --check` once a deadline passed: which pair closed, and when (CI says why it fails)."""
    return "".join(
        f"{r.name}: the openings closed at {utc_text(r.openings.closes_at)} (closesAt passed); regenerate to remove "
        "its DVM NetworkPolicies and egress firewall rules from the overlays\n"
        for r in resolved
        if r.openings.expired and r.openings.closes_at is not None
    )


# --- generate ---------------------------------------------------------------------------------------------


def _add_generate(sub: argparse._SubParsersAction[_Parser]) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "generate",
        help="write Kustomize overlays for ClusterPair specs",
        description="Write overlays/<pair>/<cluster>/ for each spec: atomically, skipping pairs whose inputs did "
        "not change, removing only files it wrote before. Each file's header names its spec and the command "
        "that writes it again, relative to the git repository's root (outside git: to the overlays folder).",
        **_help(
            "  mtc-policygen generate examples -o overlays\n"
            "  mtc-policygen generate specs/ --check --diff      # in CI: fail and show the fix when stale",
            "exit codes: 0 ok (or up to date), 1 problems found or overlays stale (--check), "
            "2 usage error or unreadable input",
        ),
    )
    p.add_argument(
        "specs", nargs="+", metavar="SPEC-or-DIR", help="a spec file, or a folder (the specs directly inside it)"
    )
    p.add_argument("-o", "--output", default="overlays", metavar="DIR", help="overlays folder (default: overlays)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 when the overlays are stale")
    p.add_argument(
        "--diff",
        action="store_true",
        help=f"with --check: print a unified diff of the stale files on stdout (at most {_DIFF_LINES} lines)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="list every file added, changed or removed")
    p.add_argument(
        "--allow-secrets-in-output",
        action="store_true",
        help="write the stunnel proxy password into the overlays (they are usually committed)",
    )
    return p


def _changes(run: api.GenerateRun, verbose: bool) -> str:
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
    args: argparse.Namespace, env: Environment, progress: _Progress
) -> tuple[api.GenerateRun | None, list[Problem], list[ResolvedPair]]:
    """Load and check the specs (the skip cache spares unchanged ones), then plan the writes; no plan when the
    specs have problems that stop the run (the problems say why)."""
    out_dir = Path(args.output)
    skip = api.SkipUnchanged(out_dir, env, allow_secrets=args.allow_secrets_in_output)
    refuse = not args.allow_secrets_in_output
    loaded = api.load_specs(args.specs, env, unique_names=True, refuse_secrets=refuse, progress=progress, skip=skip)
    problems = list(loaded.problems)
    if _exit_code(problems, args.strict) != EXIT_OK:
        return None, problems, loaded.resolved
    run = api.plan_generate(
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
    args: argparse.Namespace, run: api.GenerateRun, problems: list[Problem], resolved: list[ResolvedPair]
) -> int:
    """`generate --check`: plan only; writes nothing and takes no lock."""
    out_dir = Path(args.output)
    _report(problems, args.format)
    if run.plan.stale:
        command = shlex.join(["mtc-policygen", "generate", *args.specs, "-o", args.output])
        sys.stderr.write(_expired(resolved))
        sys.stderr.write(f"{out_dir}: overlays are stale; run: {command}\n")
        sys.stderr.write(_changes(run, args.verbose))
        if args.diff:
            _print_diff(run)
        return EXIT_PROBLEMS
    _info(f"{out_dir}: overlays are up to date ({_plural(run.pairs, 'pair')})\n")
    return EXIT_OK


def _cmd_generate(args: argparse.Namespace) -> int:
    if args.diff and not args.check:
        args.parser.error("--diff goes with --check")
    usage = api.output_dir_problem(args.output)
    if usage:
        args.parser.error(f"-o {args.output!r}: {usage}")
    env = Environment(files=_files(args, args.specs))
    progress = _Progress(sys.stderr)
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
        _report(list(exc.problems), args.format)
        return _exit_code(exc.problems, args.strict) or EXIT_PROBLEMS
    _report(problems, args.format)
    plan = run.plan
    total = len(plan.added) + len(plan.modified) + len(plan.removed)
    _info(
        f"wrote {out_dir}/: {_plural(run.pairs, 'pair')}, {total} file(s) changed ({len(plan.added)} added, "
        f"{len(plan.modified)} changed, {len(plan.removed)} removed); {run.rendered} rendered, "
        f"{run.pairs - run.rendered} unchanged\n"
    )
    _info(_changes(run, args.verbose))
    _info(_openings(resolved))
    return EXIT_OK


def _fail_report(args: argparse.Namespace, problems: list[Problem]) -> int:
    _report(problems, args.format)
    return _exit_code(problems, args.strict)


_DIFF_LINES = 400  # --diff: enough for a CI log to show the fix, bounded for a fleet's worth of changes


def _print_diff(run: api.GenerateRun) -> None:
    diff, left_out = api.stale_diff(run, _DIFF_LINES)
    sys.stdout.write(diff)
    if left_out:
        more = _plural(left_out, "more changed file")
        sys.stdout.write(f"... {more} not shown (the diff is capped at {_DIFF_LINES} lines)\n")


# --- render -----------------------------------------------------------------------------------------------


def _add_render(sub: argparse._SubParsersAction[_Parser]) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "render",
        help="print one cluster's objects as a YAML stream",
        description="Print the objects one cluster of a pair gets, as one YAML stream on stdout. The stunnel "
        "proxy password and other render-time credentials are read now and never written to a file.",
        **_help("  mtc-policygen render examples/ocp311-to-ocp412.yaml --cluster ocp412 | oc apply -f -"),
    )
    p.add_argument("spec", metavar="SPEC", help="one ClusterPair spec file")
    p.add_argument(
        "--cluster", required=True, metavar="NAME", help="the cluster to render: spec.source.name or spec.target.name"
    )
    return p


def _cmd_render(args: argparse.Namespace) -> int:
    from generator import api, pipeline  # noqa: PLC0415
    from generator.mtc.network import Environment  # noqa: PLC0415
    from generator.problems import ProblemsError  # noqa: PLC0415
    from generator.render.yamlout import dump_stream  # noqa: PLC0415

    if Path(args.spec).is_dir():  # one spec, one cluster: a folder could hold several pairs
        args.parser.error(f"{args.spec} is a folder; render takes one ClusterPair spec file")
    env = Environment(files=_files(args, [args.spec]))
    loaded = api.load_specs([args.spec], env)
    problems = list(loaded.problems)
    code = _exit_code(problems, args.strict)
    if code != EXIT_OK or not loaded.pairs:
        _report(problems, args.format, objects_on_stdout=True)
        return code or EXIT_PROBLEMS
    pair = loaded.pairs[0]
    try:
        cluster = pipeline.cluster_of(pair, args.cluster, args.spec, "--cluster")
        render = pipeline.render(loaded.resolved[0], cluster)  # reads the credentials this cluster carries
    except ProblemsError as exc:
        _report([*problems, *exc.problems], args.format, objects_on_stdout=True)
        return EXIT_PROBLEMS
    _report(problems, args.format, objects_on_stdout=True)
    if any(f.whole is None for f in render.firewalls):
        _info(
            "note: EgressFirewall/EgressNetworkPolicy patches are shown as partial objects holding only "
            "the DVM rules; apply them through the overlay, never alone\n"
        )
    sys.stdout.write(dump_stream(render.objects()))
    return EXIT_OK


# --- argocd-generate --------------------------------------------------------------------------------------


def _add_argocd_generate(sub: argparse._SubParsersAction[_Parser]) -> argparse.ArgumentParser:
    return sub.add_parser(
        "argocd-generate",
        help="Argo CD plugin: print the objects of the app folder's ClusterPair for one cluster",
        description="Run by argocd-cmp-server in the Application's folder (plugin.yaml). Parameters come from "
        "the environment: cluster (required), mode (all|policies|controller), spec (file name when the folder "
        "holds several specs); KUBE_API_VERSIONS picks the egress firewall kind when the spec leaves it open. "
        "Files the spec names are read only inside the repository copy (the app folder minus "
        "ARGOCD_APP_SOURCE_PATH), secret files also in $MTC_POLICYGEN_SECRET_DIRS (docs/argo-cd.md).",
        **_help(
            "  cd examples && PARAM_CLUSTER=ocp412 PARAM_SPEC=ocp311-to-ocp412.yaml mtc-policygen argocd-generate",
            "exit codes: 0 objects printed, 1 problems (stdout empty, the problems on stderr)",
        ),
    )


def _cmd_argocd_generate(args: argparse.Namespace) -> int:
    """A YAML stream on stdout, or the problems on stderr and exit 1 with stdout empty (Argo CD shows stderr)."""
    from generator.problems import ProblemsError, format_text  # noqa: PLC0415
    from generator.render.yamlout import dump_stream  # noqa: PLC0415
    from generator.runtimes import argocd  # noqa: PLC0415

    try:
        output = argocd.generate(Path.cwd(), _root_environ(args))
    except ProblemsError as exc:
        sys.stderr.write(format_text(exc.problems))
        return EXIT_PROBLEMS
    sys.stderr.write(format_text(output.problems))  # on success Argo CD only logs stderr in the sidecar
    if not output.objects:  # mode policies with nothing open: a stream of no objects, said in a comment
        sys.stdout.write("# mtc-policygen: no DVM opening on this cluster (the openings are closed or none apply)\n")
        return EXIT_OK
    sys.stdout.write(dump_stream(output.objects))
    return EXIT_OK


# --- appset -----------------------------------------------------------------------------------------------


def _add_appset(sub: argparse._SubParsersAction[_Parser]) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "appset",
        help="print an Argo CD ApplicationSet: one Application ",
        description="Print two ApplicationSets: per pair and cluster, an MTC Application (never prunes or deletes) "
        "and an openings Application (prunes what closing the window removes), each rendered by the "
        "mtc-policygen plugin (docs/argo-cd.md, docs/openings.md).",
        **_help(
            "  mtc-policygen appset specs --repo-url https://git.example.com/gitops.git --revision main",
            "exit codes: 0 printed, 2 usage error or a spec that cannot be read",
        ),
    )
    p.add_argument("spec_dir", metavar="SPEC-DIR", help="folder of ClusterPair specs (searched recursively)")
    p.add_argument("--repo-url", required=True, metavar="URL", help="the git repository Argo CD reads")
    p.add_argument("--revision", required=True, metavar="REV", help="branch, tag or commit to render")
    p.add_argument(
        "--path-prefix",
        metavar="PATH",
        help="SPEC-DIR's path inside the repository (default: SPEC-DIR when relative, else found from .git)",
    )
    p.add_argument("--name", default="mtc-policygen", help="the ApplicationSet's name (default: mtc-policygen)")
    p.add_argument("--namespace", default="argocd", help="Argo CD's namespace (default: argocd)")
    p.add_argument("--project", default="default", help="Argo CD project of the Applications (default: default)")
    p.add_argument("--strict", action="store_true", help="warnings fail too")
    return p


def _repo_path(spec_dir: Path) -> str | None:
    """SPEC-DIR's path inside its git repository: as given when relative and inside, else found from `.git`."""
    if not spec_dir.is_absolute() and ".." not in spec_dir.parts:
        return Path(os.path.normpath(spec_dir)).as_posix()
    from generator import api  # noqa: PLC0415

    here = spec_dir.resolve()
    root = api.repository_root(here)
    return here.relative_to(root).as_posix() if root is not None else None


def _cmd_appset(args: argparse.Namespace) -> int:
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


# --- uninstall (spec §8) ---------------------------------------------------------------------------------


def _add_uninstall(sub: argparse._SubParsersAction[_Parser]) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "uninstall",
        help="print the ordered MTC uninstall plan of one cluster (runs nothing)",
        **_help(
            "  mtc-policygen uninstall examples/install-restricted-network.yaml --cluster ocp412",
            "exit codes: 0 plan printed, 2 usage error or a spec that cannot be read",
        ),
    )
    p.add_argument("spec", metavar="SPEC", help="one ClusterPair spec file")
    p.add_argument("--cluster", required=True, metavar="NAME", help="the cluster: spec.source.name or spec.target.name")
    p.add_argument("--format", choices=("text", "json"), default="text", help="the plan as text or JSON")
    p.add_argument("--argocd-namespace", default="argocd", metavar="NS", help="Argo CD's namespace (default: argocd)")
    return p


def _cmd_uninstall(args: argparse.Namespace) -> int:
    """The ordered uninstall plan for one cluster: close, out of Argo CD, delete what we made; exit 0, or 2."""
    from generator import api, pipeline  # noqa: PLC0415
    from generator.mtc.network import Environment  # noqa: PLC0415
    from generator.problems import ProblemsError, format_text, has_errors  # noqa: PLC0415
    from generator.render.install.uninstall import uninstall_plan  # noqa: PLC0415

    env = Environment(files=_files(args, [args.spec]))
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


# --- schema -----------------------------------------------------------------------------------------------


def _add_schema(sub: argparse._SubParsersAction[_Parser]) -> argparse.ArgumentParser:
    return sub.add_parser(
        "schema",
        help="print the JSON Schema of ClusterPair",
        **_help("  mtc-policygen schema > clusterpair.schema.json", "exit codes: 0"),
    )


def _cmd_schema(args: argparse.Namespace) -> int:
    import json  # noqa: PLC0415

    from generator.spec.schema import json_schema  # noqa: PLC0415

    sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")
    return EXIT_OK


def _add_preflight(sub: argparse._SubParsersAction[_Parser]) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "preflight",
        help="say what blocks DVM in the clusters' state, today and after the output",
        **_help(
            "  mtc-policygen preflight examples/preflight/pair.yaml --state ocp412=ocp412-state.yaml\n"
            "  mtc-policygen preflight pair.yaml --context ocp412=admin@ocp412   # read live with kubectl",
            "exit codes: 0 nothing blocks DVM after the generated output, 1 something still blocks, "
            "2 usage error or unreadable state",
        ),
    )
    p.add_argument("spec", metavar="SPEC", help="one ClusterPair spec file")
    p.add_argument(
        "--state",
        action="append",
        default=[],
        metavar="CLUSTER=FILE",
        help="a cluster's objects as exported by: oc get namespace,networkpolicy,egressnetworkpolicy,"
        "egressfirewall,ingresscontroller -A -o yaml",
    )
    p.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="CLUSTER=CONTEXT",
        help="read a cluster's objects live with kubectl (read-only get)",
    )
    p.add_argument("--format", choices=("text", "json", "github"), default="text", help="report format (stdout)")
    return p


def _cmd_preflight(args: argparse.Namespace) -> int:
    """spec §6: 0 nothing blocks after the generated output, 1 otherwise, 2 usage or unreadable state."""
    from generator.preflight import run as pf  # noqa: PLC0415
    from generator.problems import format_text  # noqa: PLC0415

    given: dict[str, dict[str, str]] = {"--state": {}, "--context": {}}
    for flag, values in (("--state", args.state), ("--context", args.context)):
        for value in values:
            cluster, sep, target = value.partition("=")
            if not sep or not cluster or not target or cluster in given[flag]:
                why = "is given twice" if cluster in given[flag] else "takes CLUSTER=VALUE"
                sys.stderr.write(f"mtc-policygen preflight: error: {flag} {why}: {value!r}\n")
                return EXIT_USAGE
            given[flag][cluster] = target
    states = {name: Path(file) for name, file in given["--state"].items()}
    env = Environment(files=_files(args, [args.spec]))
    outcome = pf.preflight(Path(args.spec), states, given["--context"], env=env)
    if outcome.report is None:
        (sys.stderr if args.format == "text" else sys.stdout).write(pf.format_problems(outcome.problems, args.format))
        unreadable = outcome.unreadable or any(p.rule in _UNREADABLE_RULES for p in outcome.problems)
        return EXIT_USAGE if unreadable else EXIT_PROBLEMS
    if outcome.problems and args.format == "text":
        sys.stderr.write(format_text(outcome.problems))
    formats = {"json": pf.format_report_json, "github": pf.format_report_github, "text": pf.format_report_text}
    sys.stdout.write(formats[args.format](outcome.report))
    return EXIT_PROBLEMS if outcome.report.blocked_after else EXIT_OK


def _add_kustomize_plugin(sub: argparse._SubParsersAction[_Parser]) -> argparse.ArgumentParser:
    example = "  mtc-policygen kustomize-plugin install ~/.config/kustomize/plugin"
    codes = "exit codes: 0 installed, 2 usage error or the folder cannot be written"
    p = sub.add_parser("kustomize-plugin", help="the kustomize legacy exec plugin", **_help(example, codes))
    actions = p.add_subparsers(dest="action", required=True, parser_class=_Parser, metavar="ACTION")
    install = actions.add_parser(
        "install", help="install it under a kustomize plugin home ($KUSTOMIZE_PLUGIN_HOME)", **_help(example, codes)
    )
    install.add_argument("home", metavar="DIR", help="the kustomize plugin home (created when missing)")
    return p


def _cmd_kustomize_plugin(args: argparse.Namespace) -> int:
    """`install DIR`: a small launcher that runs this installed package (never a copy of it), at spec §2's path."""
    from generator.runtimes.legacy import install  # noqa: PLC0415

    home = Path(args.home)
    if home.exists() and not home.is_dir():
        sys.stderr.write(f"mtc-policygen: {home} is not a folder; give the kustomize plugin home\n")
        return EXIT_USAGE
    try:
        path = install(home)
    except OSError as exc:
        sys.stderr.write(f"mtc-policygen: cannot install into {home}: {exc.strerror or exc}\n")
        return EXIT_USAGE
    sys.stderr.write(
        f"installed {path}\nuse it with KUSTOMIZE_PLUGIN_HOME={home.resolve()} kustomize build --enable-alpha-plugins\n"
    )
    return EXIT_OK


# --- init -------------------------------------------------------------------------------------------------


def _add_init(sub: argparse._SubParsersAction[_Parser]) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "init",
        help="write a commented starter ClusterPair spec (from flags, or questions on a terminal)",
        description="Write a commented ClusterPair spec that validates as written. Flags not given are asked on "
        "a terminal; without one they are a usage error. An existing file is never overwritten.",
        **_help(
            "  mtc-policygen init --source 4.12/OVNKubernetes --target 4.16/OVNKubernetes \\\n"
            "      --namespaces app1,db --egress-firewall -o specs/ocp412-to-ocp416.yaml",
            "exit codes: 0 written, 1 the answers give a spec that does not validate (nothing written), "
            "2 usage error or the file exists",
        ),
    )
    p.add_argument("--source", metavar="VERSION[/NETWORK]", help="source cluster, e.g. 3.11, 4.12/OVNKubernetes")
    p.add_argument("--target", metavar="VERSION[/NETWORK]", help="target cluster, e.g. 4.16/OVNKubernetes")
    p.add_argument("--namespaces", metavar="NS[,NS...]", help="the namespaces to migrate, comma-separated")
    p.add_argument(
        "--egress-firewall",
        action="store_true",
        help="the source namespaces have an egress firewall (EgressFirewall or EgressNetworkPolicy) DVM must pass",
    )
    p.add_argument(
        "--target-cidrs",
        metavar="CIDR[,CIDR...]",
        help="where the source reaches the target for DVM (router VIPs for Route, workers for NodePort)",
    )
    p.add_argument(
        "--endpoint", choices=("Route", "NodePort", "ClusterIP"), default="Route", help="rsync endpoint type"
    )
    p.add_argument("--mode", choices=("open", "strict", "none"), default="open", help="networkPolicy.mode")
    p.add_argument(
        "--closes-at",
        metavar="TIME",
        help="when DVM's openings close, RFC 3339 UTC like 2027-01-31T18:00:00Z "
        f"(default: {INIT_WINDOW_DAYS} days from now, or from SOURCE_DATE_EPOCH)",
    )
    p.add_argument("--name", metavar="NAME", help="the pair's name (default: <source>-to-<target>)")
    p.add_argument("--source-name", metavar="NAME", help="the source cluster's name (default: ocp<version>)")
    p.add_argument("--target-name", metavar="NAME", help="the target cluster's name (default: ocp<version>)")
    p.add_argument("-o", "--output", metavar="FILE", help="the file to write (default: <name>.yaml); never replaced")
    return p


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
    firewall = args.egress_firewall
    if "namespaces" in missing and not firewall:
        firewall = _ask("do they have an egress firewall? (y/n)", "n").lower().startswith("y")
    cidrs = args.target_cidrs
    if cidrs is None and firewall and missing:
        cidrs = _ask("where the source reaches the target (CIDRs, comma-separated; empty: a placeholder)")
    return init.Answers(
        source=init.parse_cluster(source, "--source"),
        target=init.parse_cluster(target, "--target"),
        namespaces=init.parse_names(namespaces, "--namespaces"),
        name=args.name,
        source_name=args.source_name,
        target_name=args.target_name,
        egress_firewall=firewall,
        target_cidrs=tuple(c.strip() for c in (cidrs or "").split(",") if c.strip()),
        endpoint=args.endpoint,
        policy_mode=args.mode,
        closes_at=args.closes_at or _default_deadline(),
    )


INIT_WINDOW_DAYS = 14  # a starter window: long enough for a migration's copies, short enough to be noticed


def _default_deadline() -> str:
    """Midnight UTC `INIT_WINDOW_DAYS` days after now: openings are a window, so a new spec has a deadline."""
    import datetime  # noqa: PLC0415

    from generator.mtc.openings import now_from  # noqa: PLC0415

    day = now_from(os.environ) + datetime.timedelta(days=INIT_WINDOW_DAYS)
    return utc_text(day.replace(hour=0, minute=0, second=0))


def _cmd_init(args: argparse.Namespace) -> int:
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
        _report(problems, "text")
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
    _report(problems, "text")
    if init.needs_cidrs(answers) and not answers.target_cidrs:
        sys.stderr.write(f"note: {path}: replace the placeholder target.cidrs ({init.PLACEHOLDER_CIDR})\n")
    _info(f"wrote {path}; next: mtc-policygen generate {shlex.quote(str(path))} -o overlays\n")
    return EXIT_OK


# --- completion -------------------------------------------------------------------------------------------


def _add_completion(sub: argparse._SubParsersAction[_Parser]) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh or fish)",
        description="Print a completion script for mtc-policygen's commands and options, generated from its "
        "argument parser.",
        **_help(
            "  source <(mtc-policygen completion bash)                   # bash, this shell\n"
            "  mtc-policygen completion zsh > ~/.zfunc/_mtc-policygen    # zsh, with ~/.zfunc in fpath\n"
            "  mtc-policygen completion fish > ~/.config/fish/completions/mtc-policygen.fish",
            "exit codes: 0 printed, 2 usage error",
        ),
    )
    p.add_argument("shell", choices=("bash", "zsh", "fish"), help="the shell the script is for")
    return p


def _cmd_completion(args: argparse.Namespace) -> int:
    import shtab  # noqa: PLC0415 - only this command needs it

    sys.stdout.write(shtab.complete(_parser(), shell=args.shell))
    return EXIT_OK


# --- the parser -------------------------------------------------------------------------------------------

AddParser = Callable[["argparse._SubParsersAction[_Parser]"], argparse.ArgumentParser]
Command = Callable[[argparse.Namespace], int]

# Each entry: the function adding the subcommand's arguments, the one doing its work, and whether it takes the
# common --format and --strict options.
COMMANDS: list[tuple[AddParser, Command, bool]] = [
    (_add_validate, _cmd_validate, True),
    (_add_generate, _cmd_generate, True),
    (_add_render, _cmd_render, True),
    (_add_argocd_generate, _cmd_argocd_generate, False),
    (_add_appset, _cmd_appset, False),
    (_add_uninstall, _cmd_uninstall, False),
    (_add_schema, _cmd_schema, False),
    (_add_preflight, _cmd_preflight, False),
    (_add_kustomize_plugin, _cmd_kustomize_plugin, False),
    (_add_init, _cmd_init, False),
    (_add_completion, _cmd_completion, False),
]


def _add_root(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--root",
        metavar="DIR",
        help=f"read files the specs name (base, caBundleFile, mirror mapping, secret files) only inside DIR "
        f"(default: ${ROOT_ENV}, else the git repository holding the specs, else their folder); secret files "
        f"may also lie in the folders of ${SECRET_DIRS_ENV} (colon-separated)",
    )


def _files(args: argparse.Namespace, inputs: Sequence[str]) -> FileAccess:
    """The run's root, decided once here (docs/argo-cd.md): --root, $MTC_POLICYGEN_ROOT, else the repository
    holding the specs given (their common folder's nearest ancestor with .git, or that folder)."""
    reals = [os.path.realpath(i) for i in inputs if i and "\x00" not in i] or [os.getcwd()]
    try:
        return FileAccess.decide(repository_of(Path(os.path.commonpath(reals))), os.environ, args.root)
    except UnreadableFileError as exc:
        args.parser.error(str(exc))
        raise  # not reached: error() exits


def _root_environ(args: argparse.Namespace) -> Mapping[str, str]:
    """The environment with --root as MTC_POLICYGEN_ROOT (argocd-generate decides its root from both)."""
    return {**os.environ, ROOT_ENV: args.root} if args.root else os.environ


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default="text",
        help="how problems are shown (text on stderr; json and github on stdout, on stderr for render)",
    )
    p.add_argument("--strict", action="store_true", help="warnings fail too")
    p.add_argument("-q", "--quiet", action="store_true", help="print problems only: no info lines, no summary")


_START = """\
  mtc-policygen init --source 4.12/OVNKubernetes --target 4.16/OVNKubernetes --namespaces app1 -o pair.yaml
  mtc-policygen validate pair.yaml
  mtc-policygen generate pair.yaml -o overlays && kustomize build overlays/ocp412-to-ocp416/ocp412
guide: docs/README.md in the repository"""


# The commands that read specs, and so the files they name.
_ROOTED = (_cmd_validate, _cmd_generate, _cmd_render, _cmd_argocd_generate, _cmd_uninstall, _cmd_preflight)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mtc-policygen",
        description="GitOps policy generator for MTC Direct Volume Migration.",
        **_help(_START, "exit codes: 0 ok, 1 problems, 2 usage error or unreadable input; see each command's --help"),
    )
    parser.add_argument("--version", action="version", version=f"mtc-policygen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    for add, command, common in COMMANDS:
        p = add(sub)
        if common:
            _add_common(p)
        if command in _ROOTED:
            _add_root(p)
        p.set_defaults(func=command, parser=p)
    return parser


def _check_path_lengths(args: argparse.Namespace) -> None:
    """A path longer than the file system takes is a usage error naming the limit, not an OSError later."""
    named = [("-o", getattr(args, "output", None)), ("SPEC", getattr(args, "spec", None))]
    named += [("SPEC", path) for path in getattr(args, "specs", None) or []]
    for option, value in named:
        problem = path_limit_problem(value) if isinstance(value, str) else None
        if isinstance(value, str) and problem:
            args.parser.error(f"{option} {value[:60]!r}…: {problem}")


def run(argv: Sequence[str] | None = None) -> int:
    global _quiet  # noqa: PLW0603 - one run per process; set before any command prints
    args = _parser().parse_args(argv)
    _quiet = bool(getattr(args, "quiet", False))
    _check_path_lengths(args)
    try:
        return int(args.func(args))
    except BrokenPipeError:
        return EXIT_OK
    except ProblemsError as exc:  # what no command reads as a spec problem: a bad SOURCE_DATE_EPOCH
        sys.stderr.write(format_text(exc.problems))
        return EXIT_USAGE
    except Exception as exc:  # the last line of defence: never a traceback, never a secret
        if os.environ.get("MTC_POLICYGEN_DEBUG"):
            raise
        sys.stderr.write(
            f"mtc-policygen: internal error ({type(exc).__name__}); this is a bug. "
            "Set MTC_POLICYGEN_DEBUG=1 to see the traceback.\n"
        )
        return EXIT_INTERNAL


def main() -> None:
    # A short-lived process whose data holds no reference cycles: the cyclic collector only costs time
    # (a third of a 10,000-namespace render, bench/README.md).
    gc.disable()
    raise SystemExit(run())


def krm_main() -> None:
    from generator.krm import main as krm  # noqa: PLC0415

    gc.disable()
    try:
        code = krm()
    except Exception as exc:  # as in run(): never a traceback, which could carry the rendered proxy password
        if os.environ.get("MTC_POLICYGEN_DEBUG"):
            raise
        sys.stderr.write(f"mtc-policygen-krm: internal error ({type(exc).__name__}); this is a bug.\n")
        code = EXIT_INTERNAL
    raise SystemExit(code)
