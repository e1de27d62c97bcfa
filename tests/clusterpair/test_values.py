"""Values parsed when a spec loads (generator/clusterpair/values.py): versions, URLs, CIDRs, proxies: each fails where
it should.

Each case is the spec as written (inline YAML): the line and column of the expected problem can be read off it.
The specs that pass every rule are in tests/mtc/rules/test_registry.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.clusterpair.load import parse_spec
from tests.mtc.rules.cases import INSTALL, REMOTE, Case, E, assert_fails, case, spec

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
    cidrs: [203.0.113.1/24]
  namespaces:
    - app1
""",
        "cidr",
        E,
        "spec.target.cidrs[0]",
        14,
        13,
        "'203.0.113.1/24' has host bits set",
        "did you mean '203.0.113.0/24'?",
        id="cidr-host-bits",
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
    cidrs: [routers]
  namespaces:
    - app1
""",
        "cidr",
        E,
        "spec.target.cidrs[0]",
        14,
        13,
        "'routers' is not an IP network",
        id="cidr-not-a-network",
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
      httpProxy: proxy.example.com:3128
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "proxy-url",
        E,
        "spec.source.proxy.httpProxy",
        11,
        18,
        "not a proxy URL",
        "write http://host:port",
        id="proxy-url-no-scheme",
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
      httpsProxy: http://proxy.example.com
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "proxy-url",
        E,
        "spec.source.proxy.httpsProxy",
        11,
        19,
        "the proxy URL has no port",
        id="proxy-url-no-port",
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
      httpProxy: http://u:p@proxy.example.com:3128
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "proxy-credentials",
        E,
        "spec.source.proxy.httpProxy",
        11,
        18,
        "carries credentials",
        id="proxy-credentials-http-proxy",
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
      url: http://dvm:secret@proxy.example.com:3128
  namespaces:
    - app1
""",
        "proxy-credentials",
        E,
        "spec.dvm.stunnelTCPProxy.url",
        17,
        12,
        "carries credentials",
        "passwordFrom",
        id="proxy-credentials-stunnel",
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
      httpsProxy: http://user:s3cret@proxy.example.com:3128
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "proxy-credentials",
        E,
        "spec.source.proxy.httpsProxy",
        11,
        19,
        "carries credentials",
        id="proxy-credentials-https",
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
      url: https://proxy.example.com:3128
  namespaces:
    - app1
""",
        "stunnel-proxy-url",
        E,
        "spec.dvm.stunnelTCPProxy.url",
        17,
        12,
        "scheme 'https'",
        id="stunnel-proxy-https",
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
      url: proxy.example.com:3128
  namespaces:
    - app1
""",
        "stunnel-proxy-url",
        E,
        "spec.dvm.stunnelTCPProxy.url",
        17,
        12,
        "not a URL with a host",
        id="stunnel-proxy-no-scheme",
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
      url: http://proxy.example.com
  namespaces:
    - app1
""",
        "stunnel-proxy-url",
        E,
        "spec.dvm.stunnelTCPProxy.url",
        17,
        12,
        "the URL has no port",
        id="stunnel-proxy-no-port",
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
    openshiftVersion: "4.12.3"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "openshift-version",
        E,
        "spec.source.openshiftVersion",
        8,
        23,
        '\'4.12.3\' is not "3.11" or "4.N"',
        'write "4.12"',
        id="openshift-version-patch",
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
    openshiftVersion: "5.0"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "openshift-version",
        E,
        "spec.target.openshiftVersion",
        12,
        23,
        "'5.0' is not",
        id="openshift-version-major",
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
    openshiftVersion: "34.1.2"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "openshift-version",
        E,
        "spec.target.openshiftVersion",
        12,
        23,
        "'34.1.2' is not",
        'e.g. "4.12"',
        id="openshift-version-no-false-hint",
    ),
    case(
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  mtcVersion: "1.9"
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
        "mtc-version",
        E,
        "spec.mtcVersion",
        6,
        15,
        "'1.9' is not an MTC version",
        id="mtc-version-unknown",
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
  openings: {closesAt: '2027-01-31T19:00:00+01:00'}
  namespaces:
    - app1
""",
        "openings-closes-at",
        E,
        "spec.openings.closesAt",
        15,
        24,
        "not in UTC",
        "write 2027-01-31T18:00:00Z",
        id="openings-closes-at-offset",
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
    apiUrl: http://api.src.example.com:6443
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "registration-api-url",
        E,
        "spec.source.apiUrl",
        10,
        13,
        "not an API server URL",
        id="registration-api-url-scheme",
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
  replicationRepository:
    name: mcg
    s3Url: s3.example.com
    bucket: bucket1
    credentialsFrom: {secretRef: mcg}
""",
        "repository-url",
        E,
        "spec.replicationRepository.s3Url",
        19,
        12,
        "not an S3 URL",
        id="repository-url",
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
  replicationRepository:
    name: mcg
    s3Url: https://k:s@s3.example.com
    bucket: bucket1
    credentialsFrom: {secretRef: mcg}
""",
        "repository-url",
        E,
        "spec.replicationRepository.s3Url",
        19,
        12,
        "the URL carries credentials",
        "credentialsFrom",
        id="repository-url-credentials",
    ),
]


@pytest.mark.parametrize("c", FAILING)
def test_rule_fails(c: Case, tmp_path: Path) -> None:
    assert_fails(c, tmp_path)


# --- spec §8 endpoint URLs are parsed when loaded ---------------------------------------------------------

REPOSITORY = [
    "  replicationRepository:",
    "    name: mcg",
    "    s3Url: HTTPS://S3.example.com:8443/",
    "    bucket: bucket1",
    "    credentialsFrom: {secretRef: mcg}",
]


def test_endpoint_urls_are_parsed_when_loaded(tmp_path: Path) -> None:
    """The model holds the parsed URL and the text as written (rendered verbatim: output stays byte-identical)."""
    pair, problems = parse_spec(
        spec(INSTALL, at=10, lines=REMOTE) + "\n".join(REPOSITORY) + "\n", "spec.yaml", tmp_path
    )
    assert problems == []
    assert pair is not None
    assert pair.source.api_url is not None
    assert pair.replication_repository is not None
    api, s3 = pair.source.api_url, pair.replication_repository.s3_url
    assert (api.text, api.address.scheme, api.address.host, api.address.port) == (
        "https://api.src.example.com:6443",
        "https",
        "api.src.example.com",
        6443,
    )
    assert (s3.text, s3.address.scheme, s3.address.host, s3.address.port) == (
        "HTTPS://S3.example.com:8443/",
        "https",
        "s3.example.com",
        8443,
    )


@pytest.mark.parametrize(
    ("lines", "rule", "line"),
    [
        pytest.param(["    apiUrl: https://api.src.example.com:6443/path"], "registration-api-url", 10, id="api-path"),
        pytest.param(["    apiUrl: 'https://'"], "registration-api-url", 10, id="api-no-host"),
    ],
)
def test_an_unparseable_endpoint_url_is_a_structural_problem(
    tmp_path: Path, lines: list[str], rule: str, line: int
) -> None:
    pair, problems = parse_spec(spec(at=10, lines=lines), "spec.yaml", tmp_path)
    assert pair is None
    assert [(p.rule, p.line, p.path) for p in problems] == [(rule, line, "spec.source.apiUrl")]


def test_an_unparseable_s3_url_is_a_structural_problem(tmp_path: Path) -> None:
    text = spec(INSTALL) + "\n".join(REPOSITORY).replace("HTTPS://S3.example.com:8443/", "s3://bucket") + "\n"
    pair, problems = parse_spec(text, "spec.yaml", tmp_path)
    assert pair is None
    assert [(p.rule, p.line, p.column, p.path) for p in problems] == [
        ("repository-url", 20, 12, "spec.replicationRepository.s3Url")
    ]
