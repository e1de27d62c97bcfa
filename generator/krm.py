"""`mtc-policygen-krm`: the KRM exec function (kustomize `--enable-alpha-plugins --enable-exec`, kpt `--exec`).

Reads one ResourceList on stdin and writes one on stdout: every input item back (untouched unless patched),
the patched MigrationController and firewalls in place, the new objects after them (generator/transform.py
says which). On failure: the input items unchanged (kpt deletes files of items that do not come back),
`results` with the field path, the problems on stderr (kustomize shows no `results`), exit 1. The pass itself
(config -> pipeline -> edited items) is generator/runtimes/process.py, shared with the legacy exec plugin.
This module is the adapter: the command line (`--help`, `--version`, a terminal on stdin) and the ResourceList.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import yaml

from generator import __version__
from generator.clusterpair.yamlparse import compose_documents
from generator.clusterpair.yamlsource import decode
from generator.problems import Problem, ProblemsError, format_text, krm_results
from generator.render.yamlout import represent, serialize
from generator.runtimes import nodes
from generator.runtimes.process import MAX_INPUT_BYTES, run_pass

EXIT_USAGE = 2
_DESCRIPTION = """\
KRM exec function of mtc-policygen: reads one ResourceList on stdin and writes it back with one cluster of a
ClusterPair applied: the MigrationController and egress firewalls found among the items are patched, the
other objects added. Run it through `kustomize build --enable-alpha-plugins --enable-exec` or
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


STDIN = "stdin"


def _problem(message: str) -> ProblemsError:
    return ProblemsError([Problem.of(STDIN, "krm-input", message)])


def read_resource_list(raw: bytes) -> tuple[list[yaml.Node], object]:
    """The item nodes and the plain function config of a ResourceList."""
    if len(raw) > MAX_INPUT_BYTES:
        raise _problem(f"the ResourceList is {len(raw):,} bytes; the limit is {MAX_INPUT_BYTES:,}")
    docs = compose_documents(decode(raw, STDIN, MAX_INPUT_BYTES) if raw else "", STDIN)
    if len(docs) != 1 or nodes.text(nodes.get(docs[0], "kind")) != "ResourceList":
        raise _problem("stdin must be one ResourceList (run me through kustomize or kpt)")
    items = nodes.get(docs[0], "items")
    config = nodes.get(docs[0], "functionConfig")
    if items is not None and not isinstance(items, yaml.SequenceNode):
        raise _problem("the ResourceList's `items` must be a list")
    if not isinstance(config, yaml.MappingNode):
        raise _problem("the ResourceList needs a ClusterPair `functionConfig`")
    return list(items.value) if items is not None else [], nodes.plain(config, "functionConfig")


def resource_list(items: list[yaml.Node], problems: list[Problem]) -> str:
    head = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList"}
    node = represent(head)
    node.value.append((yaml.ScalarNode(nodes.STR, "items"), yaml.SequenceNode(nodes.SEQ, items)))
    if problems:
        node.value.append((yaml.ScalarNode(nodes.STR, "results"), represent(krm_results(problems))))
    return serialize([node])


def run(raw: bytes, cwd: Path) -> tuple[str, str, int]:
    """stdin bytes -> (stdout, stderr, exit code)."""
    items: list[yaml.Node] = []
    try:
        items, config = read_resource_list(raw)
    except ProblemsError as exc:
        problems = list(exc.problems)
        return resource_list(items, problems), format_text(problems), 1
    outcome = run_pass(items, config, cwd, os.environ)
    return resource_list(outcome.items, outcome.problems), format_text(outcome.problems), int(outcome.failed)


def _stdin_bytes() -> bytes:
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is not None:
        return bytes(buffer.read(MAX_INPUT_BYTES + 1))
    return str(sys.stdin.read()).encode()  # a text-only stand-in for stdin (an embedding caller, a test)


def run_function(stdin: BinaryIO | None = None) -> int:
    """The function itself: one ResourceList from stdin to stdout, problems on stderr."""
    raw = stdin.read(MAX_INPUT_BYTES + 1) if stdin is not None else _stdin_bytes()
    out, err, code = run(raw, Path.cwd())
    sys.stderr.write(err)
    sys.stdout.write(out)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    _arguments(argv)
    if sys.stdin.isatty():
        sys.stderr.write(
            "mtc-policygen-krm: stdin is a terminal; this KRM function reads a ResourceList on stdin. "
            "Run it through kustomize or kpt (see mtc-policygen-krm --help).\n"
        )
        return EXIT_USAGE
    return run_function()
