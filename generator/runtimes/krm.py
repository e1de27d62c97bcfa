"""`mtc-policygen-krm`: the KRM exec function (kustomize `--enable-alpha-plugins --enable-exec`, kpt `--exec`).

Reads one ResourceList on stdin and writes one on stdout: every input item back (untouched unless patched),
the patched MigrationController and firewalls in place, the new objects after them (generator/transform.py
says which). On failure: the input items unchanged (kpt deletes files of items that do not come back),
`results` with the field path, the problems on stderr (kustomize shows no `results`), exit 1.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import BinaryIO

import yaml

from generator.problems import Problem, ProblemsError, Severity, format_text, krm_results
from generator.render.yamlout import represent, serialize
from generator.runtimes import nodes
from generator.runtimes.process import run_pass
from generator.spec.yamlsource import compose_documents, decode

# A whole kustomize build or kpt package. Reading one costs about 80 MiB of memory and 1.7 s of CPU per MiB
# (50,000 ConfigMaps, 5 MiB: 425 MiB, 9 s; bench/README.md): 32 MiB stays within about 2.5 GiB.
MAX_INPUT_BYTES = 32 * 1024 * 1024
STDIN = "stdin"


def _problem(message: str) -> ProblemsError:
    return ProblemsError([Problem(STDIN, 0, 0, "", Severity.ERROR, "krm-input", message)])


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


def main(stdin: BinaryIO | None = None) -> int:
    raw = stdin.read(MAX_INPUT_BYTES + 1) if stdin is not None else _stdin_bytes()
    out, err, code = run(raw, Path.cwd())
    sys.stderr.write(err)
    sys.stdout.write(out)
    return code
