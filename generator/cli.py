"""The `mtc-policygen` command line: parse arguments, call `generator.api`, print. Nothing else lives here.

Exit codes (spec §6): 0 ok, 1 problems, 2 usage or unreadable input. Problems go to stderr as
`file:line:col: severity: field.path: message`; no command prints a traceback for bad input.

Each subcommand is one `_add_<name>` function (its arguments) and one `_cmd_<name>` function (its work),
listed in `COMMANDS`; adding a command adds one such pair.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from generator import __version__, api
from generator.mtc.network import Environment
from generator.mtc.openings import utc_text
from generator.mtc.resolve import ResolvedPair
from generator.mtc.rules.openings import no_deadline
from generator.problems import Problem, ProblemsError, format_github, format_json, format_text, has_errors
from generator.spec.model import OpeningsSpec

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
_UNREADABLE_RULES = {"unreadable-file", "file-too-large", "not-yaml", "no-specs"}
PROGRESS_DELAY_ENV = "MTC_POLICYGEN_PROGRESS_DELAY"  # seconds before a progress line shows (default 1)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def _report(problems: Sequence[Problem], fmt: str) -> None:
    if fmt == "json":
        sys.stdout.write(format_json(problems))
    elif fmt == "github":
        sys.stdout.write(format_github(problems))
    else:
        sys.stderr.write(format_text(problems))


def _exit_code(problems: Sequence[Problem], strict: bool) -> int:
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
    p = sub.add_parser("validate", help="check ClusterPair specs")
    p.add_argument("specs", nargs="+", metavar="SPEC-or-DIR")
    p.add_argument(
        "--skip-non-specs",
        action="store_true",
        help="skip files given that are not ClusterPair specs (by their text), as a pre-commit hook does",
    )
    return p


def _cmd_validate(args: argparse.Namespace) -> int:
    loaded = api.load_specs(args.specs, Environment(), specs_only=args.skip_non_specs)
    if args.strict:  # spec §9: an open window with no deadline is a warning only when asked to be strict
        loaded.problems += [p for p in map(no_deadline, loaded.resolved) if p is not None]
    _report(loaded.problems, args.format)
    code = _exit_code(loaded.problems, args.strict)
    if code == EXIT_OK and args.format == "text":
        skipped = f"; {_plural(len(loaded.skipped), 'other YAML file')} skipped" if loaded.skipped else ""
        sys.stderr.write(_openings(loaded.resolved))
        sys.stderr.write(f"ok: {len(loaded.pairs)} ClusterPair spec(s) valid{skipped}\n")
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
    p = sub.add_parser("generate", help="write Kustomize overlays for ClusterPair specs")
    p.add_argument("specs", nargs="+", metavar="SPEC-or-DIR")
    p.add_argument("-o", "--output", default="overlays", help="overlays folder (default: overlays)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 when the overlays are stale")
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


def _cmd_generate(args: argparse.Namespace) -> int:
    usage = api.output_dir_problem(args.output)
    if usage:
        args.parser.error(f"-o {args.output!r}: {usage}")
    env = Environment()
    progress = _Progress(sys.stderr)
    loaded = api.load_specs(args.specs, env, unique_names=True, progress=progress)
    problems = list(loaded.problems)
    if not args.allow_secrets_in_output:
        problems += api.secret_in_output(loaded.pairs)
    code = _exit_code(problems, args.strict)
    if code != EXIT_OK:
        progress.clear()
        _report(problems, args.format)
        return code
    out_dir = Path(args.output)
    try:
        run = api.plan_generate(
            loaded.pairs,
            out_dir,
            env,
            allow_secrets=args.allow_secrets_in_output,
            resolved=loaded.resolved,
            progress=progress,
        )
        progress.clear()
        if args.check:
            _report(problems, args.format)
            if run.plan.stale:
                command = shlex.join(["mtc-policygen", "generate", *args.specs, "-o", args.output])
                sys.stderr.write(_expired(loaded.resolved))
                sys.stderr.write(f"{out_dir}: overlays are stale; run: {command}\n")
                sys.stderr.write(_changes(run, args.verbose))
                return EXIT_PROBLEMS
            sys.stderr.write(f"{out_dir}: overlays are up to date ({_plural(run.pairs, 'pair')})\n")
            return EXIT_OK
        run.apply()
    except ProblemsError as exc:
        progress.clear()
        _report([*problems, *exc.problems], args.format)
        return _exit_code(exc.problems, args.strict) or EXIT_PROBLEMS
    _report(problems, args.format)
    plan = run.plan
    total = len(plan.added) + len(plan.modified) + len(plan.removed)
    sys.stderr.write(
        f"{out_dir}: {_plural(run.pairs, 'pair')}, {total} file(s) changed ({len(plan.added)} added, "
        f"{len(plan.modified)} changed, {len(plan.removed)} removed); {run.rendered} rendered, "
        f"{run.pairs - run.rendered} unchanged\n"
    )
    sys.stderr.write(_changes(run, args.verbose))
    sys.stderr.write(_openings(loaded.resolved))
    return EXIT_OK


# --- render -----------------------------------------------------------------------------------------------


def _add_render(sub: argparse._SubParsersAction[_Parser]) -> argparse.ArgumentParser:
    p = sub.add_parser("render", help="print one cluster's objects as a YAML stream")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument("--cluster", required=True, metavar="NAME")
    return p


def _cmd_render(args: argparse.Namespace) -> int:
    from generator.render.yamlout import dump_stream  # noqa: PLC0415

    if Path(args.spec).is_dir():  # one spec, one cluster: a folder could hold several pairs
        args.parser.error(f"{args.spec} is a folder; render takes one ClusterPair spec file")
    env = Environment()
    loaded = api.load_specs([args.spec], env)
    problems = list(loaded.problems)
    code = _exit_code(problems, args.strict)
    if code != EXIT_OK or not loaded.pairs:
        _report(problems, args.format)
        return code or EXIT_PROBLEMS
    pair = loaded.pairs[0]
    try:
        cluster = api.cluster_of(pair, args.cluster, args.spec, "--cluster")
        render = api.render_one(pair, cluster, env, loaded.resolved[0])
    except ProblemsError as exc:
        _report([*problems, *exc.problems], args.format)
        return EXIT_PROBLEMS
    _report(problems, args.format)
    if any(f.whole is None for f in render.firewalls):
        sys.stderr.write(
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
        "holds several specs); KUBE_API_VERSIONS picks the egress firewall kind when the spec leaves it open.",
    )


def _cmd_argocd_generate(args: argparse.Namespace) -> int:
    """A YAML stream on stdout, or the problems on stderr and exit 1 with stdout empty (Argo CD shows stderr)."""
    from generator.render.yamlout import dump_stream  # noqa: PLC0415
    from generator.runtimes import argocd  # noqa: PLC0415

    try:
        output = argocd.generate(Path.cwd(), os.environ)
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
        help="print Argo CD ApplicationSets: per pair and cluster, an MTC Application and an openings Application",
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
    here = spec_dir.resolve()
    root = api.repository_root(here)
    return here.relative_to(root).as_posix() if root is not None else None


def _cmd_appset(args: argparse.Namespace) -> int:
    """The ApplicationSet on stdout; 0, or 2 with the problems on stderr."""
    from generator import appset  # noqa: PLC0415
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
    p = sub.add_parser("uninstall", help="print the ordered MTC uninstall plan of one cluster (runs nothing)")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument("--cluster", required=True, metavar="NAME")
    p.add_argument("--format", choices=("text", "json"), default="text", help="the plan as text or JSON")
    p.add_argument("--argocd-namespace", default="argocd", metavar="NS", help="Argo CD's namespace (default: argocd)")
    return p


def _cmd_uninstall(args: argparse.Namespace) -> int:
    """The ordered uninstall plan for one cluster (spec §8, §9); exit 0, or 2 (spec §6)."""
    from generator.render.install.uninstall import uninstall_plan  # noqa: PLC0415

    env = Environment()
    loaded = api.load_specs([args.spec], env)
    problems = list(loaded.problems)
    try:
        cluster = api.cluster_of(loaded.pairs[0], args.cluster, args.spec, "--cluster") if loaded.pairs else None
    except ProblemsError as exc:
        problems, cluster = [*problems, *exc.problems], None
    sys.stderr.write(format_text(problems))
    if cluster is None or has_errors(problems):
        return EXIT_USAGE
    plan = uninstall_plan(loaded.pairs[0], cluster.name, env, argocd_namespace=args.argocd_namespace)
    sys.stdout.write(plan.as_json() if args.format == "json" else plan.as_text())
    return EXIT_OK


# --- schema -----------------------------------------------------------------------------------------------


def _add_schema(sub: argparse._SubParsersAction[_Parser]) -> argparse.ArgumentParser:
    return sub.add_parser("schema", help="print the JSON Schema of ClusterPair")


def _cmd_schema(args: argparse.Namespace) -> int:
    from generator.spec.schema import json_schema  # noqa: PLC0415

    sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")
    return EXIT_OK


def _add_preflight(sub: argparse._SubParsersAction[_Parser]) -> argparse.ArgumentParser:
    p = sub.add_parser("preflight", help="say what blocks DVM in the clusters' state, today and after the output")
    p.add_argument("spec", metavar="SPEC")
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
    from generator.preflight import run as pf  # noqa: PLC0415 - keeps other commands' cold start small

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
    outcome = pf.preflight(Path(args.spec), states, given["--context"])
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
    p = sub.add_parser("kustomize-plugin", help="the kustomize legacy exec plugin")
    actions = p.add_subparsers(dest="action", required=True, parser_class=_Parser)
    install = actions.add_parser("install", help="install it under a kustomize plugin home ($KUSTOMIZE_PLUGIN_HOME)")
    install.add_argument("home", metavar="DIR")
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
]


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default="text",
        help="how problems are shown (text on stderr; json and github on stdout)",
    )
    p.add_argument("--strict", action="store_true", help="warnings fail too")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mtc-policygen", description="GitOps policy generator for MTC Direct Volume Migration.")
    parser.add_argument("--version", action="version", version=f"mtc-policygen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for add, command, common in COMMANDS:
        p = add(sub)
        if common:
            _add_common(p)
        p.set_defaults(func=command, parser=p)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
