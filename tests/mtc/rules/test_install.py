"""The rules of generator/mtc/rules/install.py: each fails where it should.

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
    openshiftVersion: "3.11"
    networkType: OpenShiftSDN
    apiUrl: https://api.src.example.com:6443
    tokenFrom: {secretRef: src-token}
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
  install: {}
""",
        "install-legacy-operator",
        E,
        "spec.source",
        7,
        5,
        "a legacy platform: `install` needs a `base`",
        "podman cp",
        id="install-legacy-without-base",
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
    apiUrl: https://api.src.example.com:6443
    tokenFrom: {secretRef: src-token}
    base: base
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
  install: {}
""",
        "install-legacy-operator",
        E,
        "spec.source.base",
        12,
        11,
        "base base holds no Deployment openshift-migration/migration-operator",
        id="install-legacy-base-without-operator",
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
    apiUrl: https://api.src.example.com:6443
    tokenFrom: {secretRef: src-token}
    base: legacy
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
  install: {mirror: {mapping: other-mapping.txt}}
""",
        "mirror-mapping",
        E,
        "spec.install.mirror.mapping",
        20,
        31,
        "other-mapping.txt has no digest line for "
        "registry.redhat.io/rhmtc/openshift-migration-legacy-rhel8-operator; it holds registry.redhat.io/x/y",
        id="install-mapping-without-legacy-image",
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
    apiUrl: https://api.src.example.com:6443
    tokenFrom: {secretRef: src-token}
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
  install: {catalogSource: Mirror_Catalog}
""",
        "install-catalog",
        E,
        "spec.install.catalogSource",
        19,
        28,
        "'Mirror_Catalog' is not a CatalogSource name",
        id="install-catalog-name",
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
  install: {}
""",
        "registration-remote",
        E,
        "spec.source",
        7,
        5,
        "src is registered as remote on the control cluster (MigCluster): it needs apiUrl",
        "add apiUrl",
        id="registration-without-api-url",
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
    insecure: true
    caBundleFile: ca.pem
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "registration-insecure-with-ca",
        E,
        "spec.source.insecure",
        10,
        15,
        "insecure: true with caBundleFile",
        id="registration-insecure-with-ca",
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
    insecure: true
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "registration-insecure",
        W,
        "spec.source.insecure",
        10,
        15,
        "will not verify this API server's certificate",
        "caBundleFile",
        id="registration-insecure",
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
    caBundleFile: missing.pem
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "ca-bundle-file",
        E,
        "spec.source.caBundleFile",
        10,
        19,
        "cannot read the CA bundle missing.pem: no such file",
        id="registration-unreadable-ca",
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
    apiUrl: https://api.src.example.com:6443
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "registration-unused",
        W,
        "spec.source.apiUrl",
        10,
        5,
        "not used: no cluster is registered",
        id="registration-unused",
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
    tokenFrom: {env: T}
  namespaces:
    - app1
  install: {}
""",
        "registration-unused",
        W,
        "spec.target.tokenFrom",
        15,
        5,
        "tgt is the control cluster",
        id="registration-on-control-cluster",
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
    s3Url: https://s3.example.com
    bucket: Migration_Repo
    credentialsFrom: {secretRef: mcg}
""",
        "repository-bucket",
        E,
        "spec.replicationRepository.bucket",
        20,
        13,
        "'Migration_Repo' is not an S3 bucket name",
        id="repository-bucket",
    ),
    case(
        spec(
            at=10,
            lines=["    proxy: {httpsProxy: 'http://proxy.example.com:3128', noProxy: [.svc]}"],
        )
        + "  replicationRepository: {name: mcg, s3Url: 'https://s3.example.com', bucket: bucket1, "
        "credentialsFrom: {secretRef: mcg}}\n",
        "repository-behind-proxy",
        W,
        "spec.source.proxy.noProxy",
        10,
        67,
        "noProxy does not cover the replication repository host s3.example.com",
        id="repository-behind-proxy",
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
    apiUrl: https://api.src.example.com:6443
    tokenFrom: {secretRef: src-token}
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
  install: {mirror: {mapping: mapping.txt}}
""",
        "mirror-mapping-unused",
        W,
        "spec.install.mirror.mapping",
        19,
        31,
        "no cluster of this pair is legacy",
        id="mirror-mapping-unused",
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
    apiUrl: https://api.src.example.com:6443
    tokenFrom: {secretRef: src-token}
    base: legacy-no-registry
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
  install: {mirror: {mapping: mapping.txt}}
""",
        "legacy-registry-env",
        W,
        "spec.source.base",
        12,
        11,
        "no container of Deployment migration-operator sets env REGISTRY",
        id="legacy-registry-env",
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
    tokenFrom: {env: 'OCP-TOKEN'}
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "credential-source",
        E,
        "spec.source.tokenFrom.env",
        10,
        22,
        "'OCP-TOKEN' is not an environment variable name",
        id="credential-source-env",
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
    tokenFrom: {secretRef: Src_Token}
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        "credential-source",
        E,
        "spec.source.tokenFrom.secretRef",
        10,
        28,
        "'Src_Token' is not a Secret name",
        id="credential-source-secret",
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
  replicationRepository: {name: MCG, s3Url: 'https://s3.example.com', bucket: b,
    credentialsFrom: {secretRef: mcg}}
""",
        "dns1123-label",
        E,
        "spec.replicationRepository.name",
        17,
        33,
        "'MCG' is not a DNS-1123 label",
        "did you mean 'mcg'?",
        id="dns1123-label-repository",
    ),
]


@pytest.mark.parametrize("c", FAILING)
def test_rule_fails(c: Case, spec_dir: Path) -> None:
    assert_fails(c, spec_dir)
