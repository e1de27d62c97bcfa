"""The rules of generator/mtc/rules/bases.py: each fails where it should.

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
    base: no-controller
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "base-controller",
        E,
        "spec.source.base",
        10,
        11,
        "base no-controller holds no MigrationController openshift-migration/migration-controller",
        "it holds",
        id="base-controller-missing",
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
    migrationController: {name: mtc}
    base: base
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "base-controller",
        E,
        "spec.source.base",
        11,
        11,
        "holds no MigrationController openshift-migration/mtc to patch; it holds "
        "openshift-migration/migration-controller",
        id="base-controller-other-name",
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
    base: broken
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "base-broken",
        E,
        "spec.source.base",
        10,
        11,
        "base broken: kustomization.yaml: resource missing.yaml does not exist",
        id="base-broken",
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
    base: remote
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "base-unchecked",
        W,
        "spec.source.base",
        10,
        11,
        "was not fully checked: kustomization.yaml: remote resource",
        id="base-unchecked-remote",
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
    base: base
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - source: app2
      egressFirewall: {name: default}
""",
        "base-firewall",
        E,
        "spec.namespaces[0].egressFirewall.name",
        18,
        30,
        "base base holds no EgressFirewall app2/default, so the patch would match nothing",
        id="base-firewall-missing",
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
    base: base
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - source: app1
      egressFirewall: {rules: []}
""",
        "base-firewall",
        E,
        "spec.namespaces[0].egressFirewall.rules",
        18,
        31,
        "already holds EgressFirewall app1/default",
        "remove `rules:`",
        id="base-firewall-and-rules",
    ),
]


@pytest.mark.parametrize("c", FAILING)
def test_rule_fails(c: Case, spec_dir: Path) -> None:
    assert_fails(c, spec_dir)
