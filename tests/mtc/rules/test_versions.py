"""The rules of generator/mtc/rules/versions.py: each fails where it should.

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
  mtcVersion: "1.8"
  source:
    name: src
    openshiftVersion: "4.9"
    networkType: OpenShiftSDN
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "mtc-compatibility",
        E,
        "spec.mtcVersion",
        6,
        15,
        "MTC 1.8 does not support a 4.9 source",
        'use "1.7"',
        id="mtc-version-18-from-49",
    ),
    case(
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  mtcVersion: "1.7"
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
        "mtc-version-superseded",
        W,
        "spec.mtcVersion",
        6,
        15,
        "MTC 1.7 between 4.12 and 4.14",
        id="mtc-version-17-on-modern-warning",
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
    openshiftVersion: "4.9"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "mtc-compatibility",
        E,
        "spec.target.openshiftVersion",
        12,
        23,
        "mixed MTC versions",
        id="mtc-version-mixed",
    ),
    case(
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  controlCluster: source
  source:
    name: src
    openshiftVersion: "3.11"
    networkType: OpenShiftSDN
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "legacy-control-cluster",
        E,
        "spec.controlCluster",
        6,
        19,
        "the source cluster src runs OpenShift 3.11, a legacy platform",
        "set controlCluster: target",
        id="legacy-control-cluster-311",
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
    openshiftVersion: "3.11"
    networkType: OpenShiftSDN
  target:
    name: tgt
    openshiftVersion: "4.5"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "legacy-control-cluster",
        E,
        "spec.controlCluster",
        6,
        3,
        "the target cluster tgt runs OpenShift 4.5",
        id="legacy-control-cluster-default-target",
    ),
    case(
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  mtcVersion: "1.7.6"
  source:
    name: src
    openshiftVersion: "4.9"
    networkType: OpenShiftSDN
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    rsyncEndpointType: NodePort
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "endpoint-version",
        E,
        "spec.target.rsyncEndpointType",
        15,
        24,
        "NodePort endpoints need MTC 1.7.7 or later; MTC 1.7.6 always uses a Route",
        id="endpoint-version",
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
    rsyncEndpointType: ClusterIP
  namespaces:
    - app1
""",
        "clusterip-cross-cluster",
        W,
        "spec.target.rsyncEndpointType",
        15,
        24,
        "ClusterIP between two clusters (src -> tgt)",
        id="clusterip-cross-cluster-warning",
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
    openshiftVersion: "3.11"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "network-type",
        E,
        "spec.source.networkType",
        9,
        18,
        "OpenShift 3.x runs only OpenShift SDN",
        "networkType: OpenShiftSDN",
        id="network-type-311-ovn",
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
    openshiftVersion: "4.17"
    networkType: OpenShiftSDN
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "network-type",
        E,
        "spec.target.networkType",
        13,
        18,
        "OpenShift SDN is removed in 4.17",
        id="network-type-417-sdn",
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
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - source: app1
      egressFirewall: {rules: []}
""",
        "network-type-needed",
        E,
        "spec.source.networkType",
        7,
        5,
        "the egress firewall kind depends on the network plugin",
        id="network-type-needed-for-firewall",
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
    openshiftVersion: "4.99"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "openshift-version-newer",
        W,
        "spec.target.openshiftVersion",
        12,
        23,
        "OpenShift 4.99 is newer than the facts",
        id="openshift-version-newer",
    ),
]


@pytest.mark.parametrize("c", FAILING)
def test_rule_fails(c: Case, spec_dir: Path) -> None:
    assert_fails(c, spec_dir)
