"""Structural rules of generator/clusterpair/schema.py (unknown keys, types, required keys, enums,
ranges): each fails where it should.

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
    cidr: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "unknown-key",
        E,
        "spec.target.cidr",
        14,
        5,
        "unknown key 'cidr'",
        "did you mean 'cidrs'?",
        id="unknown-key-typo",
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
    rsync_endpoint_type: Route
  namespaces:
    - app1
""",
        "unknown-key",
        E,
        "spec.target.rsync_endpoint_type",
        15,
        5,
        "unknown key",
        "did you mean 'rsyncEndpointType'?",
        id="unknown-key-snake-case",
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
    zzz: 1
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "unknown-key",
        E,
        "spec.source.zzz",
        10,
        5,
        "unknown key 'zzz'",
        "allowed keys: name, openshiftVersion",
        id="unknown-key-no-close-match",
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
    openshiftVersion: 4.10
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "wrong-type",
        E,
        "spec.source.openshiftVersion",
        8,
        23,
        "expected a string, got number",
        "4.10 becomes 4.1",
        id="wrong-type-unquoted-version",
    ),
    case(
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  mtcVersion: 1.8
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
        "wrong-type",
        E,
        "spec.mtcVersion",
        6,
        15,
        "expected a string, got number",
        "quote it",
        id="wrong-type-unquoted-mtc-version",
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
    cidrs: 203.0.113.0/24
  namespaces:
    - app1
""",
        "wrong-type",
        E,
        "spec.target.cidrs",
        14,
        12,
        "expected a list, got string",
        "write a list: [203.0.113.0/24]",
        id="wrong-type-list",
    ),
    case(
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: 1234
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
        "wrong-type",
        E,
        "metadata.name",
        4,
        9,
        "expected a string, got integer",
        'quote it: "1234"',
        id="wrong-type-string",
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
  dvm: {rsyncPrivileged: 'yes'}
  namespaces:
    - app1
""",
        "wrong-type",
        E,
        "spec.dvm.rsyncPrivileged",
        15,
        26,
        "expected true or false, got string",
        id="wrong-type-bool",
    ),
    case(
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
  labels: {team: 7}
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
        "wrong-type",
        E,
        "metadata.labels.team",
        5,
        18,
        "expected a string, got integer",
        "quote the value",
        id="wrong-type-label-value",
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
    - [app1]
""",
        "wrong-type",
        E,
        "spec.namespaces[0]",
        16,
        7,
        "expected a string or a mapping, got list",
        id="wrong-type-namespace-entry",
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
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "missing-key",
        E,
        "spec.target",
        11,
        5,
        "missing required key 'name'",
        id="missing-key-cluster-name",
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
""",
        "missing-key",
        E,
        "spec",
        6,
        3,
        "missing required key 'namespaces'",
        id="missing-key-namespaces",
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
    - target: app1
""",
        "missing-key",
        E,
        "spec.namespaces[0]",
        16,
        7,
        "missing required key 'source'",
        id="missing-key-namespace-source",
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
    rsyncEndpointType: route
  namespaces:
    - app1
""",
        "invalid-value",
        E,
        "spec.target.rsyncEndpointType",
        15,
        24,
        "'route' is not one of Route, NodePort, ClusterIP (case-sensitive)",
        "did you mean 'Route'?",
        id="invalid-value-endpoint-case",
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
    networkType: ovnkubernetes
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "invalid-value",
        E,
        "spec.source.networkType",
        9,
        18,
        "'ovnkubernetes' is not one of",
        "did you mean 'OVNKubernetes'?",
        id="invalid-value-network-type-case",
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
  networkPolicy: {mode: Strict}
  namespaces:
    - app1
""",
        "invalid-value",
        E,
        "spec.networkPolicy.mode",
        15,
        25,
        "'Strict' is not one of open, strict, none",
        "did you mean 'strict'?",
        id="invalid-value-mode",
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
  namespaces: []
""",
        "empty-list",
        E,
        "spec.namespaces",
        15,
        15,
        "must list at least one entry",
        id="empty-list-namespaces",
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
    targetSupplementalGroups: []
  namespaces:
    - app1
""",
        "empty-list",
        E,
        "spec.dvm.targetSupplementalGroups",
        16,
        31,
        "must list at least one entry",
        id="empty-list-groups",
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
    sourceSupplementalGroups: [1000, -1]
  namespaces:
    - app1
""",
        "out-of-range",
        E,
        "spec.dvm.sourceSupplementalGroups[1]",
        16,
        38,
        "-1 is outside 0..2147483647",
        id="out-of-range-negative",
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
    sourceSupplementalGroups: [2147483648]
  namespaces:
    - app1
""",
        "out-of-range",
        E,
        "spec.dvm.sourceSupplementalGroups[0]",
        16,
        32,
        "2147483648 is outside",
        id="out-of-range-too-big",
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
    stunnelTCPProxy:
      url: http://proxy.example.com:3128
      username: dvm
      passwordFrom: {env: PW, file: /pw}
  namespaces:
    - app1
""",
        "one-of",
        E,
        "spec.dvm.stunnelTCPProxy.passwordFrom",
        19,
        21,
        "give exactly one of env, file",
        id="one-of-both",
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
    stunnelTCPProxy:
      url: http://proxy.example.com:3128
      username: dvm
      passwordFrom: {}
  namespaces:
    - app1
""",
        "one-of",
        E,
        "spec.dvm.stunnelTCPProxy.passwordFrom",
        19,
        21,
        "give exactly one of env, file",
        id="one-of-neither",
    ),
    case(
        """\
apiVersion: mtc-policygen.io/v1
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
        "not-a-cluster-pair",
        E,
        "",
        1,
        1,
        "not a ClusterPair: expected a mapping with apiVersion mtc-policygen.io/v1alpha1 and kind ClusterPair",
        "write apiVersion: mtc-policygen.io/v1alpha1",
        id="not-a-cluster-pair-api-version",
    ),
    case(
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: Clusterpair
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
        "not-a-cluster-pair",
        E,
        "",
        1,
        1,
        "not a ClusterPair: expected a mapping with apiVersion",
        "kind: ClusterPair",
        id="not-a-cluster-pair-kind",
    ),
]


@pytest.mark.parametrize("c", FAILING)
def test_rule_fails(c: Case, tmp_path: Path) -> None:
    assert_fails(c, tmp_path)
