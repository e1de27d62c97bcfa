"""The rules of generator/mtc/rules/capabilities.py: each fails where it should.

Each case is the spec as written (inline YAML): the line and column of the expected problem can be read off it.
The specs that pass every rule are in tests/mtc/rules/test_registry.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.mtc.rules import SEVERITIES
from generator.problems import Severity
from tests.mtc.rules.cases import Case, E, W, assert_fails, at, case, check, firewall

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
    openshiftVersion: "3.11"
    networkType: OpenShiftSDN
  target:
    name: tgt
    openshiftVersion: "4.9"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "egress-policy-unenforced",
        Severity.INFO,
        "spec.source.openshiftVersion",
        8,
        23,
        "OpenShift SDN on 3.11 does not enforce egress NetworkPolicies",
        "egress firewall",
        id="egress-policy-unenforced-311",
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
        "egress-policy-unenforced",
        Severity.INFO,
        "spec.source.openshiftVersion",
        8,
        23,
        "OpenShift SDN on 4.9 does not enforce egress NetworkPolicies: no egress policy",
        id="egress-policy-unenforced-49",
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
    openshiftVersion: "4.8"
  target:
    name: tgt
    openshiftVersion: "4.9"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "egress-policy-plugin-unknown",
        Severity.INFO,
        "spec.source.openshiftVersion",
        8,
        23,
        "OpenShift 4.8 enforces them only on OVN-Kubernetes",
        "set source.networkType",
        id="egress-policy-plugin-unknown",
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
    openshiftVersion: "4.9"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.9"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
    rsyncEndpointType: NodePort
  networkPolicy: {mode: strict}
  namespaces:
    - app1
""",
        "node-port-range",
        W,
        "spec.target.rsyncEndpointType",
        15,
        24,
        "OpenShift 4.9 drops NetworkPolicy endPort (from 4.10)",
        id="node-port-range-49",
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
    openshiftVersion: "4.7"
    networkType: OVNKubernetes
  target:
    name: src
    openshiftVersion: "4.7"
    networkType: OVNKubernetes
    rsyncEndpointType: ClusterIP
  networkPolicy: {mode: strict}
  namespaces:
    - app1
""",
        "strict-namespace-by-name",
        E,
        "spec.networkPolicy.mode",
        15,
        25,
        "OpenShift 4.7 does not label namespaces with kubernetes.io/metadata.name",
        "mode: open",
        id="strict-namespace-by-name-47",
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
    openshiftVersion: "4.7"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.9"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  networkPolicy: {mode: strict}
  namespaces:
    - app1
""",
        "dns-port-only",
        Severity.INFO,
        "spec.source.openshiftVersion",
        8,
        23,
        "OpenShift 4.7 cannot select openshift-dns by name",
        id="dns-port-only-47",
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
    openshiftVersion: "4.6"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.6"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  networkPolicy: {mode: strict}
  namespaces:
    - app1
""",
        "router-label-legacy",
        Severity.INFO,
        "spec.target.openshiftVersion",
        12,
        23,
        "selects network.openshift.io/policy-group: ingress instead",
        id="router-label-legacy-46",
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
    openshiftVersion: "4.6"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.6"
    networkType: OpenShiftSDN
    cidrs: [203.0.113.0/24]
  networkPolicy: {mode: strict}
  namespaces:
    - app1
""",
        "router-label-legacy",
        Severity.INFO,
        "spec.target.openshiftVersion",
        12,
        23,
        "admits TCP 6443 to the rsync server pods from any source",
        "a cluster-wide change",
        id="router-host-network-sdn-46",
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
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "client-side-apply",
        Severity.INFO,
        "spec.source.openshiftVersion",
        8,
        23,
        "has no server-side apply (from 4.3)",
        "give this cluster a `base`",
        id="client-side-apply-311",
    ),
]


@pytest.mark.parametrize("c", FAILING)
def test_rule_fails(c: Case, spec_dir: Path) -> None:
    assert_fails(c, spec_dir)


# --- spec §4.1: every row on both sides of its boundary version ---------------------------------------------


def row(rule: str, below: str, at_boundary: str, id: str) -> Any:
    return pytest.param(rule, below, at_boundary, id=id)


FIFTY = "{name: fw, rules: [" + ", ".join(["{type: Deny, to: {cidrSelector: 10.0.0.0/8}}"] * 50) + "]}"

BOUNDARIES = [
    row(
        "egress-policy-unenforced",
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
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
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.10"
    networkType: OpenShiftSDN
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        id="egress-policy-sdn-4.9-4.10",
    ),
    row(
        "egress-policy-unenforced",
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
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.10"
    networkType: OpenShiftSDN
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        id="egress-policy-sdn-3.11-4.10",
    ),
    row(
        "egress-policy-plugin-unknown",
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.9"
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.10"
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        id="egress-policy-plugin-4.9-4.10",
    ),
    row(
        "node-port-range",
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.9"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
    rsyncEndpointType: NodePort
  networkPolicy: {mode: strict}
  namespaces:
    - app1
""",
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.10"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
    rsyncEndpointType: NodePort
  networkPolicy: {mode: strict}
  namespaces:
    - app1
""",
        id="end-port-4.9-4.10",
    ),
    row(
        "strict-namespace-by-name",
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.7"
    networkType: OVNKubernetes
  target:
    name: src
    openshiftVersion: "4.7"
    networkType: OVNKubernetes
    rsyncEndpointType: ClusterIP
  networkPolicy: {mode: strict}
  namespaces:
    - app1
""",
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.8"
    networkType: OVNKubernetes
  target:
    name: src
    openshiftVersion: "4.8"
    networkType: OVNKubernetes
    rsyncEndpointType: ClusterIP
  networkPolicy: {mode: strict}
  namespaces:
    - app1
""",
        id="clusterip-4.7-4.8",
    ),
    row(
        "dns-port-only",
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.7"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  networkPolicy: {mode: strict}
  namespaces:
    - app1
""",
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.8"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  networkPolicy: {mode: strict}
  namespaces:
    - app1
""",
        id="dns-4.7-4.8",
    ),
    row(
        "router-label-legacy",
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.6"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.6"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  networkPolicy: {mode: strict}
  namespaces:
    - app1
""",
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.6"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.7"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  networkPolicy: {mode: strict}
  namespaces:
    - app1
""",
        id="router-label-4.6-4.7",
    ),
    row(
        "egress-firewall-limit",
        firewall(FIFTY, *at("3.11", plugin="OpenShiftSDN")),
        firewall(FIFTY, *at("4.9", plugin="OpenShiftSDN")),
        id="enp-limit-3.11-4.9",
    ),
    row(
        "egress-firewall-dns-name",
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.6"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
    appsDomain: apps.example.com
  namespaces:
    - source: app1
      egressFirewall: {rules: []}
""",
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.7"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
    appsDomain: apps.example.com
  namespaces:
    - source: app1
      egressFirewall: {rules: []}
""",
        id="firewall-dns-name-4.6-4.7",
    ),
    row(
        "egress-firewall-proxy-host",
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.6"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  dvm: {stunnelTCPProxy: {url: 'http://proxy.example.com:3128'}}
  namespaces:
    - source: app1
      egressFirewall: {rules: []}
""",
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.7"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  dvm: {stunnelTCPProxy: {url: 'http://proxy.example.com:3128'}}
  namespaces:
    - source: app1
      egressFirewall: {rules: []}
""",
        id="firewall-proxy-host-4.6-4.7",
    ),
    row(
        "egress-firewall-rules",
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.10"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - source: app1
      egressFirewall: {rules: [{type: Allow, to: {nodeSelector: {matchLabels: {a: b}}}}]}
""",
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.11"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - source: app1
      egressFirewall: {rules: [{type: Allow, to: {nodeSelector: {matchLabels: {a: b}}}}]}
""",
        id="firewall-node-selector-4.10-4.11",
    ),
    row(
        "openshift-version-newer",
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.99"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.19"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        id="newer-4.99-4.19",
    ),
]


@pytest.mark.parametrize(("rule", "below", "at_boundary"), BOUNDARIES)
def test_capability_row_on_both_sides_of_its_boundary(rule: str, below: str, at_boundary: str, spec_dir: Path) -> None:
    """Below the boundary version the row's rule reports (with the table's severity); from it on, nothing does."""
    found = [p for p in check(below, spec_dir) if p.rule == rule]
    assert found, [p.text() for p in check(below, spec_dir)]
    assert all(p.severity is SEVERITIES[rule] for p in found)
    assert [p.text() for p in check(at_boundary, spec_dir) if p.rule == rule or p.is_error] == []
