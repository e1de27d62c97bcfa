"""The rules of generator/mtc/rules/namespaces.py: each fails where it should.

Each case is the spec as written (inline YAML): the line and column of the expected problem can be read off it.
The specs that pass every rule are in tests/mtc/rules/test_registry.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mtc.rules.cases import Case, E, W, assert_fails, case

FAILING = [
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
    - app2
    - app1
""",
        "duplicate-namespace",
        E,
        "spec.namespaces[2]",
        18,
        7,
        "source namespace 'app1' is already listed at namespaces[0]",
        id="duplicate-namespace-source",
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
    - {source: app2, target: app1}
""",
        "duplicate-namespace",
        E,
        "spec.namespaces[1]",
        17,
        7,
        "target namespace 'app1' is already the target of namespaces[0]",
        id="duplicate-namespace-target",
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
    name: src
    openshiftVersion: "4.12"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
    - {source: app2, target: app3}
""",
        "namespace-mapping",
        E,
        "spec.namespaces[0]",
        16,
        7,
        "keeps its name while other namespaces are mapped",
        id="duplicate-namespace-partial-mapping",
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
    name: src
    openshiftVersion: "4.12"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - {source: a, target: b}
    - {source: b, target: c}
""",
        "namespace-mapping",
        E,
        "spec.namespaces[0]",
        16,
        7,
        "'b' is both a target and a source",
        id="duplicate-namespace-chain",
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
    name: src
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "same-cluster",
        E,
        "spec.target.openshiftVersion",
        12,
        23,
        "the target is the source cluster src, but its openshiftVersion differs",
        id="same-cluster-version",
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
    base: missing
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "base-path",
        E,
        "spec.source.base",
        10,
        11,
        "base 'missing' is not a directory",
        id="base-path-missing",
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
    base: empty
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "base-path",
        E,
        "spec.source.base",
        10,
        11,
        "base 'empty' has no kustomization.yaml",
        id="base-path-no-kustomization",
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
  dvm:
    sourceSupplementalGroups: [1000, 1000]
  namespaces:
    - app1
""",
        "supplemental-groups",
        W,
        "spec.dvm.sourceSupplementalGroups[1]",
        16,
        38,
        "group 1000 is listed twice",
        id="supplemental-groups-repeat",
    ),
]


@pytest.mark.parametrize("c", FAILING)
def test_rule_fails(c: Case, spec_dir: Path) -> None:
    assert_fails(c, spec_dir)
