"""Loader rules of generator/clusterpair/yamlsource.py and yamlparse.py (YAML syntax, documents, keys, size
limits): each fails where it should.

Each case is the spec as written (inline YAML): the line and column of the expected problem can be read off it.
The specs that pass every rule are in tests/mtc/rules/test_registry.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.clusterpair.load import load_spec
from tests.mtc.rules.cases import BASE, Case, E, assert_fails, case

FAILING = [
    case(
        """\
apiVersion: [a, b
kind: ClusterPair
""",
        "yaml-syntax",
        E,
        "",
        2,
        5,
        "invalid YAML",
        id="yaml-syntax",
    ),
    case(
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.12"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: !!int x
  namespaces:
    - app1
""",
        "yaml-syntax",
        E,
        "",
        14,
        12,
        "cannot read this value as tag:yaml.org,2002:int",
        id="yaml-syntax-bad-tag",
    ),
    case(
        """\
# nothing here
""",
        "empty-document",
        E,
        "",
        0,
        0,
        "holds no YAML document",
        id="empty-document",
    ),
    case(
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.12"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
---
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.12"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "multiple-documents",
        E,
        "",
        18,
        1,
        "expected one YAML document",
        "own file",
        id="multiple-documents",
    ),
    case(
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    name: again
    openshiftVersion: "4.12"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "duplicate-key",
        E,
        "",
        8,
        5,
        "key 'name' appears twice",
        id="duplicate-key",
    ),
    case(
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.12"
    networkType: OVNKubernetes
    1: one
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "non-string-key",
        E,
        "",
        10,
        5,
        "mapping keys must be plain strings",
        id="non-string-key",
    ),
    case(
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source: &src
    name: src
    openshiftVersion: "4.12"
    networkType: OVNKubernetes
  other:
    <<: *src
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "merge-key",
        E,
        "",
        11,
        5,
        "merge keys (<<) are not supported",
        id="merge-key",
    ),
    case(
        """\
a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
""",
        "too-many-nodes",
        E,
        "",
        1,
        32,
        "more than 500,000 nodes",
        id="too-many-nodes",
    ),
    case(
        "a: " + "[" * 70 + "]" * 70 + "\n",
        "too-deep",
        E,
        "",
        1,
        68,
        "nests deeper than 64 levels",
        id="too-deep",
    ),
    case(
        "a: \x07\n",
        "not-yaml",
        E,
        "",
        0,
        0,
        "control characters are not allowed",
        id="not-yaml-control-char",
    ),
]


@pytest.mark.parametrize("c", FAILING)
def test_rule_fails(c: Case, tmp_path: Path) -> None:
    assert_fails(c, tmp_path)


# --- file-level loader rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "rule", "message"),
    [
        pytest.param(None, "unreadable-file", "no such file", id="missing"),
        pytest.param(b"kind: x\x00\x01", "not-yaml", "binary data", id="nul-bytes"),
        pytest.param(b"kind: \xff\xfe", "not-yaml", "not UTF-8", id="not-utf8"),
        pytest.param(b"#" * (4 * 1024 * 1024 + 1), "file-too-large", "a ClusterPair spec must be under", id="large"),
    ],
)
def test_file_rules(tmp_path: Path, content: bytes | None, rule: str, message: str) -> None:
    file = tmp_path / "spec.yaml"
    if content is not None:
        file.write_bytes(content)
    pair, problems = load_spec(file, "spec.yaml")
    assert pair is None
    assert [(p.rule, p.severity, p.line, p.column, p.path) for p in problems] == [(rule, E, 0, 0, "")]
    assert message in problems[0].message


def test_file_rules_pass(tmp_path: Path) -> None:
    file = tmp_path / "spec.yaml"
    file.write_bytes(b"\xef\xbb\xbf" + BASE.encode())  # a UTF-8 BOM is fine
    pair, problems = load_spec(file, "spec.yaml")
    assert pair is not None
    assert problems == []
