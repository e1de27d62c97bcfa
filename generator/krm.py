"""`mtc-policygen-krm`: the KRM exec function (kustomize `--enable-alpha-plugins --enable-exec`, kpt `--exec`).

Reads one ResourceList on stdin. The functionConfig is a ClusterPair naming its cluster with the annotation
`mtc-policygen.io/cluster`; its spec is inline, or in the file named by `mtc-policygen.io/spec-file` (relative
to the working directory, which kustomize sets to the kustomization folder). Writes one ResourceList: the input
items untouched, then that cluster's objects. Problems go to stderr and `results`; failure exits 1.

This is the generator mode. Patching objects found among the input items (transformer mode, spec §7) is not
done yet: an input item that the function would generate again is reported instead of silently duplicated.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from generator import __version__, api
from generator.api import SPEC_FILE_ANNOTATION
from generator.mtc.network import Environment
from generator.mtc.resolve import resolve
from generator.mtc.rules import validate
from generator.problems import Problem, ProblemsError, Severity, format_text, has_errors, krm_results
from generator.render.yamlout import dump_document
from generator.spec.load import load_spec, parse_spec
from generator.spec.model import ClusterPair
from generator.spec.yamlsource import load_yaml

CLUSTER_ANNOTATION = "mtc-policygen.io/cluster"
EXIT_USAGE = 2
_FUNCTION_ANNOTATIONS = ("config.kubernetes.io/function", "config.k8s.io/function")


def _fail(message: str, rule: str = "krm-input") -> ProblemsError:
    return ProblemsError([Problem("functionConfig", 0, 0, "", Severity.ERROR, rule, message)])


def _read_resource_list(text: str) -> dict[str, Any]:
    data = load_yaml(text, "stdin").data  # the spec loader's limits: depth, node budget, clean errors
    if not isinstance(data, dict) or data.get("kind") != "ResourceList":
        raise _fail("stdin must be one ResourceList (run me through kustomize or kpt)")
    if not isinstance(data.get("items", []), list) or not isinstance(data.get("functionConfig"), dict):
        raise _fail("the ResourceList needs `items` and a ClusterPair `functionConfig`")
    return data


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _pair_from_config(config: dict[str, Any]) -> tuple[ClusterPair | None, list[Problem], str]:
    meta = _mapping(config.get("metadata"))
    annotations = _mapping(meta.get("annotations"))
    cluster = annotations.get(CLUSTER_ANNOTATION)
    if not isinstance(cluster, str) or not cluster:
        raise _fail(f"the functionConfig needs the annotation {CLUSTER_ANNOTATION}: <cluster name>")
    spec_file = annotations.get(SPEC_FILE_ANNOTATION)
    if isinstance(spec_file, str) and spec_file:
        if "spec" in config:
            raise _fail(f"give the spec inline or with {SPEC_FILE_ANNOTATION}, not both")
        pair, problems = load_spec(Path(spec_file), spec_file)
        return pair, problems, cluster
    # An inline spec: strip what kustomize and kpt add, then check it like a file (positions in the dump).
    clean = dict(config)
    clean["metadata"] = {k: v for k, v in meta.items() if k in ("name", "namespace", "labels")}
    pair, problems = parse_spec(dump_document(clean), "functionConfig", Path.cwd())
    return pair, problems, cluster


def _process(resource_list: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Problem]]:
    items: list[dict[str, Any]] = list(resource_list.get("items") or [])
    pair, problems, cluster = _pair_from_config(resource_list["functionConfig"])
    env = Environment()
    resolved = resolve(pair, env) if pair is not None else None
    if pair is not None:
        problems += validate(pair, env, resolved)
    if pair is None or has_errors(problems):
        return items, problems
    target = api.cluster_of(pair, cluster, "functionConfig", f"{CLUSTER_ANNOTATION}:")
    render = api.render_one(pair, target, env, resolved)
    existing = {_identity(i) for i in items if not _is_function_config(i)}
    generated = render.objects()
    clashes = [obj for obj in generated if _identity(obj) in existing]
    if clashes:
        kinds = ", ".join(f"{o['kind']}/{o['metadata']['name']}" for o in clashes)
        return items, [
            *problems,
            Problem(
                "functionConfig",
                0,
                0,
                "",
                Severity.ERROR,
                "krm-transformer",
                f"input items already hold {kinds}; patching them (transformer mode) is not supported yet",
                "use the function as a generator",
            ),
        ]
    return items + generated, problems


def _is_function_config(item: dict[str, Any]) -> bool:
    annotations = (item.get("metadata") or {}).get("annotations") or {}
    return any(a in annotations for a in _FUNCTION_ANNOTATIONS)


def _identity(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    return (str(obj.get("apiVersion")), str(obj.get("kind")), str(meta.get("namespace")), str(meta.get("name")))


_DESCRIPTION = """\
KRM exec function of mtc-policygen: reads one ResourceList on stdin and writes it back with the objects of one
cluster of a ClusterPair added. Run it through `kustomize build --enable-alpha-plugins --enable-exec` or
`kpt fn eval --exec mtc-policygen-krm`; the function config is a ClusterPair with the annotation
mtc-policygen.io/cluster and either an inline spec or mtc-policygen.io/spec-file.
"""


def _arguments(argv: Sequence[str] | None) -> None:
    parser = argparse.ArgumentParser(
        prog="mtc-policygen-krm",
        description=_DESCRIPTION,
        epilog="Exit codes: 0 ok, 1 problems (also in the ResourceList's results), 2 usage.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mtc-policygen-krm {__version__}")
    parser.parse_args(argv)  # --help and --version exit here; anything else is a usage error (exit 2)


def main(argv: Sequence[str] | None = None) -> int:
    _arguments(argv)
    if sys.stdin.isatty():
        sys.stderr.write(
            "mtc-policygen-krm: stdin is a terminal; this KRM function reads a ResourceList on stdin. "
            "Run it through kustomize or kpt (see mtc-policygen-krm --help).\n"
        )
        return EXIT_USAGE
    resource_list: dict[str, Any] = {}
    try:
        resource_list = _read_resource_list(sys.stdin.read())
        items, problems = _process(resource_list)
    except ProblemsError as exc:
        items, problems = list(resource_list.get("items") or []), list(exc.problems)
    output: dict[str, Any] = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items}
    if problems:
        output["results"] = krm_results(problems)
        sys.stderr.write(format_text(problems))
    sys.stdout.write(dump_document(output))
    return 1 if has_errors(problems) else 0
