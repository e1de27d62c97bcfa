"""The rules of generator/mtc/rules/firewalls.py: each fails where it should.

Each case is the spec as written (inline YAML): the line and column of the expected problem can be read off it.
The specs that pass every rule are in tests/mtc/rules/test_registry.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.problems import Severity
from tests.mtc.rules.cases import LEGACY_SOURCE, SDN_SOURCE, Case, E, assert_fails, case, firewall

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
    - source: app1
      egressFirewall: {name: fw, rules: []}
""",
        "egress-firewall-name",
        E,
        "spec.namespaces[0].egressFirewall.name",
        17,
        30,
        "an EgressFirewall must be named 'default', not 'fw'",
        "name: default",
        id="egress-firewall-ovn-name",
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
    - source: app1
      egressFirewall: {name: default}
""",
        "egress-firewall-existing",
        E,
        "spec.namespaces[0].egressFirewall",
        17,
        23,
        "the existing EgressFirewall 'default' is needed",
        "set source.base",
        id="egress-firewall-no-rules-no-base",
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
  namespaces:
    - source: app1
      egressFirewall: {name: default, rules: []}
""",
        "egress-firewall-nothing",
        E,
        "spec.namespaces[0].egressFirewall",
        16,
        23,
        "nothing to allow through its EgressFirewall",
        "give target.cidrs",
        id="egress-firewall-nothing",
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
    - source: app1
      egressFirewall: {rules: [{type: allow, to: {cidrSelector: 0.0.0.0/0}}]}
""",
        "egress-firewall-rules",
        E,
        "spec.namespaces[0].egressFirewall.rules[0].type",
        17,
        39,
        "type must be Allow or Deny",
        id="egress-firewall-existing-rule",
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
    cidrs: [203.0.113.0/24]
  namespaces:
    - source: app1
      egressFirewall: {name: fw, rules: [{type: Deny, to: {cidrSelector: 0.0.0.0/0}, ports: []}]}
""",
        "egress-firewall-rules",
        E,
        "spec.namespaces[0].egressFirewall.rules[0].ports",
        17,
        93,
        "(EgressNetworkPolicy has no ports)",
        id="egress-firewall-enp-ports",
    ),
    case(
        firewall(
            "{name: fw, rules: [" + ", ".join(["{type: Deny, to: {cidrSelector: 10.0.0.0/8}}"] * 1000) + "]}",
            SDN_SOURCE,
        ),
        "egress-firewall-limit",
        E,
        "spec.namespaces[0].egressFirewall",
        17,
        23,
        "1001 rules exceed the EgressNetworkPolicy limit of 1000",
        id="egress-firewall-limit",
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
    rsyncEndpointType: ClusterIP
  namespaces:
    - source: app1
      egressFirewall: {rules: []}
""",
        "egress-firewall-not-applicable",
        Severity.INFO,
        "spec.namespaces[0].egressFirewall",
        17,
        23,
        "egress firewalls do not apply",
        id="egress-firewall-clusterip-info",
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
  networkPolicy: {mode: strict}
  namespaces:
    - app1
""",
        "strict-endpoint",
        E,
        "spec.target.cidrs",
        11,
        5,
        "strict mode with a Route endpoint needs the target's router VIP",
        id="strict-endpoint-route",
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
    rsyncEndpointType: NodePort
  networkPolicy: {mode: strict}
  namespaces:
    - app1
""",
        "strict-endpoint",
        E,
        "spec.target.cidrs",
        11,
        5,
        "needs the target's worker InternalIP CIDRs",
        id="strict-endpoint-nodeport",
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
    openshiftVersion: "4.9"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
    appsDomain: apps.example.com
  namespaces:
    - source: app1
      egressFirewall: {rules: []}
""",
        "egress-firewall-dns-name",
        Severity.INFO,
        "spec.target.appsDomain",
        15,
        17,
        "OpenShift 4.6 has no dnsName rules (from 4.7)",
        id="egress-firewall-dns-name-46",
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
    openshiftVersion: "4.9"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  dvm: {stunnelTCPProxy: {url: 'http://proxy.example.com:3128'}}
  namespaces:
    - source: app1
      egressFirewall: {rules: []}
""",
        "egress-firewall-proxy-host",
        E,
        "spec.dvm.stunnelTCPProxy.url",
        15,
        32,
        "the proxy host 'proxy.example.com' cannot be allowed by name",
        "give the proxy's IP address",
        id="egress-firewall-proxy-host-46",
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
    cidrs: [203.0.113.0/24]
  dvm: {stunnelTCPProxy: {url: 'http://[2001:db8::30]:3128'}}
  namespaces:
    - source: app1
      egressFirewall: {name: fw, rules: []}
""",
        "egress-firewall-proxy-ipv6",
        E,
        "spec.dvm.stunnelTCPProxy.url",
        15,
        32,
        "EgressNetworkPolicy is IPv4 only",
        id="egress-firewall-proxy-ipv6",
    ),
    case(
        firewall(
            "{name: fw, rules: [" + ", ".join(["{type: Deny, to: {cidrSelector: 10.0.0.0/8}}"] * 50) + "]}",
            LEGACY_SOURCE,
        ),
        "egress-firewall-limit",
        E,
        "spec.namespaces[0].egressFirewall",
        17,
        23,
        "51 rules exceed the EgressNetworkPolicy limit of 50 on OpenShift 3.11",
        id="egress-firewall-limit-311",
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
        "egress-firewall-rules",
        E,
        "spec.namespaces[0].egressFirewall.rules[0].to.nodeSelector",
        17,
        65,
        "nodeSelector rules exist from OpenShift 4.11; OpenShift 4.10 rejects",
        id="egress-firewall-node-selector-410",
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
    openshiftVersion: "4.9"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - source: app1
      egressFirewall: {rules: [{type: Allow, to: {dnsName: a.example.com}}]}
""",
        "egress-firewall-rules",
        E,
        "spec.namespaces[0].egressFirewall.rules[0].to.dnsName",
        17,
        60,
        "dnsName rules exist from OpenShift 4.7; OpenShift 4.6 rejects",
        id="egress-firewall-dns-name-rule-46",
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
    openshiftVersion: "4.10"
    networkType: OVNKubernetes
    base: node-selector
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - source: app1
      egressFirewall: {name: default}
""",
        "egress-firewall-rules",
        E,
        "spec.namespaces[0].egressFirewall",
        18,
        23,
        "base node-selector: EgressFirewall app1/default egress.0.to.nodeSelector: EgressFirewall "
        "nodeSelector rules exist from OpenShift 4.11",
        id="egress-firewall-node-selector-in-base-410",
    ),
]


@pytest.mark.parametrize("c", FAILING)
def test_rule_fails(c: Case, spec_dir: Path) -> None:
    assert_fails(c, spec_dir)
