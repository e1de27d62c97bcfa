"""The `mtc-policygen` command line: build the parser, dispatch to generator/commands/<name>.py. Nothing else.

Exit codes (spec §6): 0 ok, 1 problems, 2 usage or unreadable input. Problems go to stderr as
`file:line:col: severity: field.path: message`; no command prints a traceback for bad input.

Each subcommand is one `_add_<name>` function here (its arguments) and one module `generator.commands.<name>`
with `run(args) -> int` (its work), listed in `COMMANDS`; adding a command adds one such pair. A command's
module is imported only when it runs, so `--help` and `--version` stay fast.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from generator import __version__
from generator.settings import (
    DIFF_LINES,
    EXIT_CODES,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    INIT_WINDOW_DAYS,
    ROOT_ENV,
    SECRET_DIRS_ENV,
    START_EXAMPLE,
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def _help(example: str, codes: str = EXIT_CODES) -> dict[str, Any]:
    """add_parser keywords for a command's --help: its example(s) and exit codes after the options."""
    return {"epilog": f"example:\n{example}\n\n{codes}", "formatter_class": argparse.RawDescriptionHelpFormatter}


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
        help=f"with --check: print a unified diff of the stale files on stdout (at most {DIFF_LINES} lines)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="list every file added, changed or removed")
    p.add_argument(
        "--allow-secrets-in-output",
        action="store_true",
        help="write the stunnel proxy password into the overlays (they are usually committed)",
    )
    return p


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


def _add_schema(sub: argparse._SubParsersAction[_Parser]) -> argparse.ArgumentParser:
    return sub.add_parser(
        "schema",
        help="print the JSON Schema of ClusterPair",
        **_help("  mtc-policygen schema > clusterpair.schema.json", "exit codes: 0"),
    )


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


AddParser = Callable[["argparse._SubParsersAction[_Parser]"], argparse.ArgumentParser]

# Each entry: the function adding the subcommand's arguments, the module (generator/commands/) doing its work,
# and whether it takes the common --format and --strict options.
COMMANDS: list[tuple[AddParser, str, bool]] = [
    (_add_validate, "validate", True),
    (_add_generate, "generate", True),
    (_add_render, "render", True),
    (_add_argocd_generate, "argocd_generate", False),
    (_add_appset, "appset", False),
    (_add_uninstall, "uninstall", False),
    (_add_schema, "schema", False),
    (_add_preflight, "preflight", False),
    (_add_kustomize_plugin, "kustomize_plugin", False),
    (_add_init, "init", False),
    (_add_completion, "completion", False),
]


def _add_root(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--root",
        metavar="DIR",
        help=f"read files the specs name (base, caBundleFile, mirror mapping, secret files) only inside DIR "
        f"(default: ${ROOT_ENV}, else the git repository holding the specs, else their folder); secret files "
        f"may also lie in the folders of ${SECRET_DIRS_ENV} (colon-separated)",
    )


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default="text",
        help="how problems are shown (text on stderr; json and github on stdout, on stderr for render)",
    )
    p.add_argument("--strict", action="store_true", help="warnings fail too")
    p.add_argument("-q", "--quiet", action="store_true", help="print problems only: no info lines, no summary")


# The commands that read specs, and so the files they name.
_ROOTED = frozenset({"validate", "generate", "render", "argocd_generate", "uninstall", "preflight"})


def _parser(only: str | None = None) -> argparse.ArgumentParser:  # `only`: that subcommand alone (see `run`)
    parser = _Parser(
        prog="mtc-policygen",
        description="GitOps policy generator for MTC Direct Volume Migration.",
        **_help(START_EXAMPLE, f"{EXIT_CODES}; see each command's --help"),
    )
    parser.add_argument("--version", action="version", version=f"mtc-policygen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    for add, command, common in [c for c in COMMANDS if only in (None, c[1].replace("_", "-"))]:
        p = add(sub)
        if common:
            _add_common(p)
        if command in _ROOTED:
            _add_root(p)
        p.set_defaults(command_module=command, parser=p, root_parser=parser)
    return parser


# A command line starting with a command's name needs that command's parser alone; any other start (an option,
# a typo) builds all, as the top-level help and errors list them; so does `completion`, which covers them all.
_NAMES = frozenset(command.replace("_", "-") for _, command, _ in COMMANDS) - {"completion"}


def run(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser(argv[0] if argv and argv[0] in _NAMES else None).parse_args(argv)  # --help/--version exit here
    from generator.commands.common import check_path_lengths, set_quiet  # noqa: PLC0415
    from generator.problems import ProblemsError, format_text  # noqa: PLC0415

    set_quiet(bool(getattr(args, "quiet", False)))
    check_path_lengths(args)
    try:
        command = importlib.import_module(f"generator.commands.{args.command_module}")
        return int(command.run(args))
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
