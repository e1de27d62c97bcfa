"""The rules of generator/mtc/rules/addresses.py: each fails where it should.

Each case is the spec as written (inline YAML): the line and column of the expected problem can be read off it.
The specs that pass every rule are in tests/mtc/rules/test_registry.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mtc.rules.cases import Case, E, W, assert_fails, case, spec

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
    cidrs: [203.0.113.0/24, 203.0.113.0/24]
  namespaces:
    - app1
""",
        "cidr-duplicate",
        W,
        "spec.target.cidrs[1]",
        14,
        29,
        "repeats cidrs[0]",
        id="cidr-duplicate-warning",
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
    networkType: OpenShiftSDN
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [2001:db8::/64]
  namespaces:
    - source: app1
      egressFirewall: {name: fw, rules: []}
""",
        "cidr-ipv4-firewall",
        E,
        "spec.target.cidrs[0]",
        14,
        13,
        "IPv6, but the source's EgressNetworkPolicy takes IPv4 only",
        id="cidr-ipv6-egressnetworkpolicy",
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
    appsDomain: Apps.Example.com
  namespaces:
    - app1
""",
        "apps-domain",
        E,
        "spec.target.appsDomain",
        15,
        17,
        "is not a lower-case DNS name",
        id="apps-domain-case",
    ),
    case(
        spec(at=15, lines=["    appsDomain: " + ".".join(["a" * 60] * 4)]),
        "apps-domain",
        E,
        "spec.target.appsDomain",
        15,
        17,
        "would exceed 253 characters",
        id="apps-domain-too-long",
    ),
]


@pytest.mark.parametrize("c", FAILING)
def test_rule_fails(c: Case, spec_dir: Path) -> None:
    assert_fails(c, spec_dir)
