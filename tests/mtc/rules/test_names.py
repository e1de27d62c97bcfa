"""The rules of generator/mtc/rules/names.py: each fails where it should.

Each case is the spec as written (inline YAML): the line and column of the expected problem can be read off it.
The specs that pass every rule are in tests/mtc/rules/test_registry.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mtc.rules.cases import Case, E, assert_fails, case

FAILING = [
    case(
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: Pair_1
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
        "dns1123-label",
        E,
        "metadata.name",
        4,
        9,
        "'Pair_1' is not a DNS-1123 label",
        "did you mean 'pair-1'?",
        id="dns1123-label-pair",
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
    - App1
""",
        "dns1123-label",
        E,
        "spec.namespaces[0]",
        16,
        7,
        "'App1' is not a DNS-1123 label",
        "did you mean 'app1'?",
        id="dns1123-label-namespace",
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
    - {source: app1, target: tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt}
""",
        "dns1123-label",
        E,
        "spec.namespaces[0].target",
        16,
        30,
        "is 64 characters; a DNS-1123 label has at most 63",
        id="dns1123-label-too-long",
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
    migrationController: {namespace: openshift_migration}
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "dns1123-label",
        E,
        "spec.source.migrationController.namespace",
        10,
        38,
        "'openshift_migration' is not a DNS-1123 label",
        id="dns1123-label-controller-namespace",
    ),
]


@pytest.mark.parametrize("c", FAILING)
def test_rule_fails(c: Case, spec_dir: Path) -> None:
    assert_fails(c, spec_dir)
