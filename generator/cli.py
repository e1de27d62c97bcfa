"""The `mtc-policygen` command line: a thin layer that loads, checks, renders and writes through the library.

Exit codes (spec §6): 0 ok, 1 problems, 2 usage or unreadable input. Problems go to stderr as
`file:line:col: severity: field.path: message`; no command prints a traceback for bad input.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from generator import __version__
from generator.mtc.network import Environment
from generator.mtc.rules import validate
from generator.problems import (
    Problem,
    ProblemsError,
    Severity,
    format_github,
    format_json,
    format_text,
    has_errors,
)
from generator.spec.load import load_spec
from generator.spec.model import ClusterPair

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
_UNREADABLE_RULES = {"unreadable-file", "file-too-large", "not-yaml", "no-specs"}
_SPEC_MARKER = "mtc-policygen.io/"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


@dataclass
class _Loaded:
    pairs: list[ClusterPair] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _expand(inputs: Sequence[str]) -> tuple[list[Path], list[Problem]]:
    """Spec files, and the ClusterPair files directly inside given folders (by their apiVersion)."""
    files: list[Path] = []
    problems: list[Problem] = []
    for raw in inputs:
        path = Path(raw)
        if not path.is_dir():
            files.append(path)
            continue
        found = []
        for candidate in sorted([*path.glob("*.yaml"), *path.glob("*.yml")]):
            try:
                with candidate.open(encoding="utf-8", errors="replace") as stream:
                    head = stream.read(65536)  # bounded: a huge file is refused by the loader, not read here
            except OSError:
                head = _SPEC_MARKER  # let the loader report why it cannot be read
            if _SPEC_MARKER in head:
                found.append(candidate)
        if not found:
            problems.append(
                Problem(
                    raw,
                    0,
                    0,
                    "",
                    Severity.ERROR,
                    "no-specs",
                    "no ClusterPair spec (*.yaml with apiVersion mtc-policygen.io/...) in this folder",
                )
            )
        files += found
    return files, problems


def _load(inputs: Sequence[str], env: Environment, *, unique_names: bool = False) -> _Loaded:
    """Load and check specs; `unique_names` (generate) refuses two specs writing the same overlays/<pair>/."""
    files, problems = _expand(inputs)
    loaded = _Loaded(problems=problems)
    names: dict[str, str] = {}
    for file in files:
        pair, found = load_spec(file)
        loaded.problems += found
        if pair is None:
            continue
        loaded.problems += validate(pair, env)
        if unique_names and pair.name in names:
            loaded.problems.append(
                pair.source_doc.problem(
                    ("metadata", "name"),
                    "duplicate-pair",
                    f"pair {pair.name!r} is also defined in {names[pair.name]}",
                    suggestion="give each ClusterPair its own name",
                )
            )
        names.setdefault(pair.name, str(file))
        loaded.pairs.append(pair)
    return loaded


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


# --- commands ---------------------------------------------------------------------------------------------


def _cmd_validate(args: argparse.Namespace) -> int:
    loaded = _load(args.specs, Environment())
    _report(loaded.problems, args.format)
    code = _exit_code(loaded.problems, args.strict)
    if code == EXIT_OK and args.format == "text":
        sys.stderr.write(f"ok: {len(loaded.pairs)} ClusterPair spec(s) valid\n")
    return code


def _spec_label(spec_file: Path, out_dir: Path) -> str:
    rel = os.path.relpath(spec_file.resolve(), out_dir.resolve().parent)
    return PurePosixPath(Path(rel)).as_posix()


def _cmd_generate(args: argparse.Namespace) -> int:
    from generator.overlay.files import cluster_files  # noqa: PLC0415 - keeps `render` cold start small
    from generator.overlay.writer import PairFiles, apply, plan  # noqa: PLC0415
    from generator.render.plan import render_pair  # noqa: PLC0415
    from generator.secrets import read_password  # noqa: PLC0415

    env = Environment()
    loaded = _load(args.specs, env, unique_names=True)
    problems = list(loaded.problems)
    for pair in loaded.pairs:
        proxy = pair.dvm.stunnel_tcp_proxy
        if proxy is not None and proxy.password_from is not None and not args.allow_secrets_in_output:  # spec §7
            problems.append(
                pair.source_doc.problem(
                    (*proxy.path, "passwordFrom"),
                    "secret-in-output",
                    f"the stunnel proxy password ({proxy.password_from.describe()}) would be written into overlays "
                    "that are committed to git; generate refuses it",
                    suggestion="render it at apply time (render, the KRM function or the Argo CD plugin), or pass "
                    "--allow-secrets-in-output",
                )
            )
    code = _exit_code(problems, args.strict)
    if code != EXIT_OK:
        _report(problems, args.format)
        return code
    out_dir = Path(args.output)
    try:
        pair_files = []
        for pair in loaded.pairs:
            password = read_password(pair) if args.allow_secrets_in_output else None
            label = _spec_label(pair.spec_dir / Path(pair.source_doc.file).name, out_dir)
            files: dict[str, str] = {}
            for render in render_pair(pair, env, password):
                overlay_dir = out_dir / pair.name / render.cluster.name
                for name, text in cluster_files(render, label, pair.spec_dir, overlay_dir).items():
                    files[f"{pair.name}/{render.cluster.name}/{name}"] = text
            pair_files.append(PairFiles(pair.name, label, files))
        the_plan = plan(out_dir, pair_files)
        if args.check:
            _report(problems, args.format)
            if the_plan.stale:
                sys.stderr.write(f"{out_dir}: overlays are stale; run mtc-policygen generate\n")
                sys.stderr.write("".join(f"  {line}\n" for line in the_plan.summary()))
                return EXIT_PROBLEMS
            sys.stderr.write(f"{out_dir}: overlays are up to date\n")
            return EXIT_OK
        apply(the_plan)
    except ProblemsError as exc:
        _report([*problems, *exc.problems], args.format)
        return _exit_code(exc.problems, args.strict) or EXIT_PROBLEMS
    _report(problems, args.format)
    changes = the_plan.summary()
    sys.stderr.write(f"{out_dir}: {len(pair_files)} pair(s), {len(changes)} file(s) changed\n")
    sys.stderr.write("".join(f"  {line}\n" for line in changes))
    return EXIT_OK


def _cmd_render(args: argparse.Namespace) -> int:
    from generator.render.plan import render_pair  # noqa: PLC0415
    from generator.render.yamlout import dump_stream  # noqa: PLC0415
    from generator.secrets import password_for  # noqa: PLC0415

    env = Environment()
    loaded = _load([args.spec], env)
    problems = list(loaded.problems)
    pair = loaded.pairs[0] if loaded.pairs else None
    if pair is not None and args.cluster not in {c.name for c in pair.clusters}:
        names = ", ".join(c.name for c in pair.clusters)
        problems.append(
            Problem(
                args.spec,
                0,
                0,
                "",
                Severity.ERROR,
                "unknown-cluster",
                f"--cluster {args.cluster!r} is not a cluster of pair {pair.name!r}",
                f"one of: {names}",
            )
        )
    code = _exit_code(problems, args.strict)
    if code != EXIT_OK or pair is None:
        _report(problems, args.format)
        return code or EXIT_PROBLEMS
    try:
        password = password_for(pair, args.cluster)
    except ProblemsError as exc:
        _report([*problems, *exc.problems], args.format)
        return EXIT_PROBLEMS
    _report(problems, args.format)
    render = next(r for r in render_pair(pair, env, password) if r.cluster.name == args.cluster)
    if any(f.whole is None for f in render.firewalls):
        sys.stderr.write(
            "note: EgressFirewall/EgressNetworkPolicy patches are shown as partial objects holding only "
            "the DVM rules; apply them through the overlay, never alone\n"
        )
    sys.stdout.write(dump_stream(render.objects()))
    return EXIT_OK


def _cmd_argocd_generate(args: argparse.Namespace) -> int:
    """Argo CD CMP generate: a YAML stream on stdout, or a message on stderr and exit 1 with stdout empty."""
    from generator.render.yamlout import dump_stream  # noqa: PLC0415
    from generator.runtimes import argocd  # noqa: PLC0415

    try:
        output = argocd.generate(Path.cwd(), os.environ)
    except ProblemsError as exc:
        sys.stderr.write(format_text(exc.problems))
        return EXIT_PROBLEMS
    sys.stderr.write(format_text(output.problems))  # on success Argo CD only logs stderr in the sidecar
    sys.stdout.write(dump_stream(output.objects))
    return EXIT_OK


def _repo_path(spec_dir: Path) -> str | None:
    """SPEC-DIR's path inside its git repository: as given when relative and inside, else found from `.git`."""
    given = PurePosixPath(spec_dir.as_posix())
    if not spec_dir.is_absolute() and ".." not in given.parts:
        return os.path.normpath(given.as_posix()).replace(os.sep, "/")
    here = spec_dir.resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return here.relative_to(folder).as_posix()
    return None


def _cmd_appset(args: argparse.Namespace) -> int:
    """Print an ApplicationSet for a folder of specs; 0, or 2 with the problems on stderr."""
    from generator import appset  # noqa: PLC0415
    from generator.render.yamlout import dump_document  # noqa: PLC0415
    from generator.runtimes.argocd import Mode  # noqa: PLC0415

    spec_dir = Path(args.spec_dir)
    if not spec_dir.is_dir():
        sys.stderr.write(f"mtc-policygen appset: {args.spec_dir}: not a folder\n")
        return EXIT_USAGE
    prefix = args.path_prefix if args.path_prefix is not None else _repo_path(spec_dir)
    if prefix is None:
        sys.stderr.write(f"mtc-policygen appset: {args.spec_dir} is not inside a git repository; give --path-prefix\n")
        return EXIT_USAGE
    options = appset.Options(
        repo_url=args.repo_url,
        revision=args.revision,
        path_prefix=prefix.strip("/"),
        name=args.name,
        namespace=args.namespace,
        project=args.project,
        mode=Mode(args.mode),
    )
    items, problems = appset.elements(spec_dir, options)
    sys.stderr.write(format_text(problems))
    if has_errors(problems, strict=args.strict):
        return EXIT_USAGE
    sys.stdout.write(dump_document(appset.application_set(items, options)))
    return EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:
    from generator.spec.schema import json_schema  # noqa: PLC0415

    sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mtc-policygen", description="GitOps policy generator for MTC Direct Volume Migration.")
    parser.add_argument("--version", action="version", version=f"mtc-policygen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--format",
            choices=("text", "json", "github"),
            default="text",
            help="how problems are shown (text on stderr; json and github on stdout)",
        )
        p.add_argument("--strict", action="store_true", help="warnings fail too")

    p = sub.add_parser("validate", help="check ClusterPair specs")
    p.add_argument("specs", nargs="+", metavar="SPEC")
    common(p)
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("generate", help="write Kustomize overlays for ClusterPair specs")
    p.add_argument("specs", nargs="+", metavar="SPEC-or-DIR")
    p.add_argument("-o", "--output", default="overlays", help="overlays folder (default: overlays)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 when the overlays are stale")
    p.add_argument(
        "--allow-secrets-in-output",
        action="store_true",
        help="write the stunnel proxy password into the overlays (they are usually committed)",
    )
    common(p)
    p.set_defaults(func=_cmd_generate)

    p = sub.add_parser("render", help="print one cluster's objects as a YAML stream")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument("--cluster", required=True, metavar="NAME")
    common(p)
    p.set_defaults(func=_cmd_render)

    p = sub.add_parser(
        "argocd-generate",
        help="Argo CD plugin: print the objects of the app folder's ClusterPair for one cluster",
        description="Run by argocd-cmp-server in the Application's folder (plugin.yaml). Parameters come from "
        "the environment: cluster (required), mode (all|policies|controller), spec (file name when the folder "
        "holds several specs); KUBE_API_VERSIONS picks the egress firewall kind when the spec leaves it open.",
    )
    p.set_defaults(func=_cmd_argocd_generate)

    p = sub.add_parser(
        "appset",
        help="print an Argo CD ApplicationSet: one Application per pair and cluster, rendered by the plugin",
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
    p.add_argument(
        "--mode", choices=("all", "policies", "controller"), default="all", help="the plugin's mode parameter"
    )
    p.add_argument("--strict", action="store_true", help="warnings fail too")
    p.set_defaults(func=_cmd_appset)

    p = sub.add_parser("schema", help="print the JSON Schema of ClusterPair")
    p.set_defaults(func=_cmd_schema)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:
        return EXIT_OK
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

    raise SystemExit(krm())
