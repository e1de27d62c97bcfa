"""The rules of generator/mtc/rules/proxies.py: each fails where it should.

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
    proxy:
      noProxy: [.svc]
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "no-proxy-ignored",
        W,
        "spec.source.proxy.noProxy",
        11,
        16,
        "noProxy without httpProxy or httpsProxy is ignored",
        id="no-proxy-without-proxy-warning",
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
    proxy:
      httpProxy: http://proxy:3128
      noProxy: [.svc, '*.example.com']
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "no-proxy",
        E,
        "spec.source.proxy.noProxy[1]",
        12,
        23,
        "'*.example.com' is not a domain, .domain, *, IP or CIDR",
        id="no-proxy-bad-entry",
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
      url: http://proxy:3128
      passwordFrom: {env: PW}
  namespaces:
    - app1
""",
        "stunnel-proxy-password-unused",
        E,
        "spec.dvm.stunnelTCPProxy.passwordFrom",
        18,
        21,
        "a password without `username` is never sent",
        id="stunnel-proxy-password-without-user",
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
      url: http://proxy:3128
      username: dvm
      passwordFrom: {env: 1PW}
  namespaces:
    - app1
""",
        "stunnel-proxy-password-source",
        E,
        "spec.dvm.stunnelTCPProxy.passwordFrom.env",
        19,
        27,
        "'1PW' is not an environment variable name",
        id="stunnel-proxy-env-name",
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
      url: http://proxy:3128
      username: dvm
  namespaces:
    - app1
""",
        "stunnel-proxy-no-password",
        W,
        "spec.dvm.stunnelTCPProxy.username",
        18,
        17,
        "a username without passwordFrom",
        id="stunnel-proxy-user-without-password-warning",
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
      url: http://proxy:3128
  networkPolicy:
    mode: strict
  namespaces:
    - app1
""",
        "stunnel-proxy-strict-host",
        W,
        "spec.dvm.stunnelTCPProxy.url",
        17,
        12,
        "strict mode cannot name the proxy host 'proxy'",
        id="stunnel-proxy-strict-hostname-warning",
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
  dvm: {stunnelTCPProxy: {url: 'http://192.0.2.30:3128'}}
  namespaces:
    - app1
""",
        "stunnel-proxy-same-cluster",
        E,
        "spec.dvm.stunnelTCPProxy",
        15,
        26,
        "source and target are one cluster",
        "remove dvm.stunnelTCPProxy",
        id="stunnel-proxy-same-cluster",
    ),
]


@pytest.mark.parametrize("c", FAILING)
def test_rule_fails(c: Case, spec_dir: Path) -> None:
    assert_fails(c, spec_dir)
