"""The rule registry as a whole: every rule is covered, documented, has one severity; the specs that pass every
rule; severities through the CLI; the shipped examples.

- Warnings never fail `validate` unless `--strict`; info findings never fail it.
- The shipped examples: examples/*.yaml and examples/render-time/*.yaml validate clean with exit 0 (together
  too, as `make example` runs them); each examples/invalid/*.yaml exits 1 and reports the error, field path
  and line promised by its `# EXPECT error <path> (line N)` header.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from generator.cli import run
from generator.mtc.rules import RULES, SEVERITIES
from generator.problems import Severity
from tests.clusterpair import test_schema, test_values, test_yamlsource
from tests.conftest import EXAMPLES
from tests.mtc.rules import (
    test_addresses,
    test_bases,
    test_capabilities,
    test_firewalls,
    test_install,
    test_names,
    test_namespaces,
    test_openings,
    test_proxies,
    test_versions,
)
from tests.mtc.rules.cases import LEGACY_SOURCE, NO_CIDRS, REMOTE, SAME_CLUSTER, W, check, firewall, spec

FAILING = [
    c
    for family in (
        test_schema,
        test_yamlsource,
        test_values,
        test_addresses,
        test_bases,
        test_capabilities,
        test_firewalls,
        test_install,
        test_names,
        test_namespaces,
        test_openings,
        test_proxies,
        test_versions,
    )
    for c in family.FAILING
]

PASSING = [
    pytest.param(
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
""",
        id="base",
    ),
    pytest.param(
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
    migrationController: {name: mc, namespace: openshift-migration}
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        id="keys",
    ),
    pytest.param(
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
  labels: {team: a}
  annotations: {note: b}
  namespace: x
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
        id="metadata",
    ),
    pytest.param(
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
    rsyncEndpointType: NodePort
  controlCluster: source
  networkPolicy:
    mode: none
  namespaces:
    - app1
""",
        id="enums",
    ),
    pytest.param(
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
    sourceSupplementalGroups: [0, 2147483647]
    targetSupplementalGroups: [2000]
    rsyncPrivileged: false
  namespaces:
    - app1
""",
        id="groups",
    ),
    pytest.param(
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
      url: http://192.0.2.30:3128
      username: dvm
      passwordFrom: {file: /etc/pw}
  networkPolicy:
    mode: strict
  namespaces:
    - app1
""",
        id="stunnel-file-strict-by-ip",
    ),
    pytest.param(
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
      url: http://proxy.example.com:3128/
      username: dvm
      passwordFrom: {env: DVM_PROXY_PASSWORD}
  namespaces:
    - app1
""",
        id="stunnel-env",
    ),
    pytest.param(
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
    cidrs: [203.0.113.0/24, 198.51.100.7, 2001:db8::/64]
  namespaces:
    - app1
""",
        id="cidrs",
    ),
    pytest.param(
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
    appsDomain: apps.ocp414.example.com
  namespaces:
    - app1
""",
        id="apps-domain",
    ),
    pytest.param(
        firewall(
            "{name: default, rules: [{type: Allow, to: {dnsName: '*.example.com'}, ports: [{protocol: "
            "TCP, port: 443}]}, {type: Deny, to: {cidrSelector: 0.0.0.0/0}}]}"
        ),
        id="firewall-ovn",
    ),
    pytest.param(
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
      egressFirewall: {name: egress, rules: [{type: Deny, to: {cidrSelector: 0.0.0.0/0}}]}
""",
        id="firewall-sdn",
    ),
    pytest.param(
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
      egressFirewall: {name: default}
""",
        id="firewall-in-base",
    ),
    pytest.param(
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
    rsyncEndpointType: NodePort
  networkPolicy: {mode: strict}
  namespaces:
    - app1
""",
        id="strict-nodeport",
    ),
    pytest.param(
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
    - app-1
    - {source: db, target: db-migrated}
    - {source: x}
""",
        id="namespaces",
    ),
    pytest.param(
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
  networkPolicy: {mode: strict}
  namespaces:
    - app1
    - app2
""",
        id="same-cluster-storage-class-conversion",
    ),
    pytest.param(
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
    cidrs: [203.0.113.0/24]
    rsyncEndpointType: ClusterIP
  namespaces:
    - {source: a, target: a2}
""",
        id="same-cluster-move",
    ),
    pytest.param(
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
    - app1
""",
        id="base-path",
    ),
    pytest.param(
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
      httpProxy: http://proxy.example.com:3128
      httpsProxy: http://10.0.0.1:3128
      noProxy: ['*', .svc, example.com, 10.0.0.0/16, 192.0.2.1, 2001:db8::1]
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        id="proxy",
    ),
    pytest.param(
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
      httpProxy: https://proxy.example.com:3128
      httpsProxy: https://10.0.0.1:3129
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        id="proxy-https",
    ),
    pytest.param(
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  mtcVersion: "1.8"
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
        id="mtc-18",
    ),
    pytest.param(
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  mtcVersion: "1.7.7"
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
        id="mtc-177-from-49",
    ),
    pytest.param(
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  mtcVersion: "1.7"
  controlCluster: target
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
        id="legacy-source-controlled-by-target",
    ),
    pytest.param(
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  mtcVersion: "1.7.7"
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
        id="endpoint-version-177",
    ),
    pytest.param(
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.17"
  target:
    name: tgt
    openshiftVersion: "4.18"
    cidrs: [203.0.113.0/24]
  namespaces:
    - app1
""",
        id="network-type-derived",
    ),
    pytest.param(
        """\
---
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: &n pair
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
    - *n
...
""",
        id="document-markers-and-alias",
    ),
    pytest.param(
        spec(
            LEGACY_SOURCE,
            (
                "    - app1\n",
                "    - app1\n  install: {catalogSource: mtc-operator-catalog, "
                "installPlanApproval: Automatic, mirror: {mapping: mapping.txt}}\n"
                "  replicationRepository: {name: mcg, s3Url: 'https://s3.example.com', bucket: "
                "bucket1, region: eu-west-1, caBundleFile: ca.pem, credentialsFrom: {env: "
                "{accessKeyId: K, secretAccessKey: S}}}\n",
            ),
            at=10,
            lines=[
                *REMOTE,
                "    base: legacy",
                "    caBundleFile: ca.pem",
                "    proxy: {httpProxy: 'http://p.example.com:3128', noProxy: [example.com]}",
            ],
        ),
        id="install-legacy-mirror-repository-registration",
    ),
]

STRUCTURAL_RULES = {"unknown-key", "wrong-type", "missing-key", "invalid-value", "empty-list", "out-of-range", "one-of"}
LOADER_RULES = {
    "yaml-syntax",
    "empty-document",
    "multiple-documents",
    "duplicate-key",
    "non-string-key",
    "merge-key",
    "too-many-nodes",
    "too-deep",
    "not-yaml",
}


def test_every_rule_has_a_failing_case() -> None:
    covered = {c.values[0].rule for c in FAILING}
    assert set(RULES) | STRUCTURAL_RULES | LOADER_RULES <= covered


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_is_documented_with_examples(rule_id: str) -> None:
    """yamllint style: each rule's docstring says why, and shows a passing and a failing example."""
    doc = RULES[rule_id].__doc__ or ""
    assert "Passing::" in doc, rule_id
    assert re.search(r"Failing( \(info\))?::", doc), rule_id


def test_each_rule_has_one_severity() -> None:
    """One check per rule id, with its default severity: every failing case reports that severity."""
    wrong = [
        (c.values[0].rule, c.values[0].severity)
        for c in FAILING
        if c.values[0].rule in SEVERITIES and c.values[0].severity is not SEVERITIES[c.values[0].rule]
    ]
    assert wrong == []


@pytest.mark.parametrize("text", PASSING)
def test_rule_passes(text: str, spec_dir: Path) -> None:
    """No error or warning; info findings (what an older cluster gets instead, spec §4.1) are allowed."""
    assert [p.text() for p in check(text, spec_dir) if p.severity is not Severity.INFO] == []


# --- severities through the CLI ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        pytest.param(spec(at=10, lines=["    proxy:", "      noProxy: [.svc]"]), W, id="no-proxy-warning"),
        pytest.param(spec(at=15, lines=["    rsyncEndpointType: ClusterIP"]), W, id="clusterip-warning"),
        pytest.param(
            firewall(
                "{rules: []}",
                SAME_CLUSTER,
                ('"4.14"', '"4.12"'),
                NO_CIDRS,
                ("OVNKubernetes\n  namespaces", "OVNKubernetes\n    rsyncEndpointType: ClusterIP\n  namespaces"),
            ),
            Severity.INFO,
            id="info",
        ),
    ],
)
def test_warnings_fail_only_with_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, severity: Severity
) -> None:
    file = tmp_path / "spec.yaml"
    file.write_text(text + "  openings: {closesAt: 2999-01-01T00:00:00Z}\n")  # --strict warns without a deadline
    assert run(["validate", str(file)]) == 0
    assert f": {severity.value}: " in capsys.readouterr().err
    assert run(["validate", "--strict", str(file)]) == (1 if severity is W else 0)


# --- the shipped examples ---------------------------------------------------------------------------------

VALID = sorted([*EXAMPLES.glob("*.yaml"), *EXAMPLES.glob("render-time/*.yaml")])
INVALID = sorted(EXAMPLES.glob("invalid/*.yaml"))
EXPECT = re.compile(r"^# EXPECT error (?P<path>\S+) \(line (?P<line>\d+)\)")


@pytest.mark.parametrize("spec_file", VALID, ids=lambda p: p.relative_to(EXAMPLES).as_posix())
def test_example_is_valid(spec_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No error or warning; info findings say what an older cluster gets instead (spec §4.1)."""
    assert run(["validate", "--format", "json", str(spec_file)]) == 0
    assert [p for p in json.loads(capsys.readouterr().out) if p["severity"] != "info"] == []
    # --strict adds one warning: the examples' DVM openings have no deadline (which would expire the overlays).
    assert run(["validate", "--strict", "--format", "json", str(spec_file)]) == 1
    found = [p["rule"] for p in json.loads(capsys.readouterr().out) if p["severity"] != "info"]
    assert found == ["openings-no-deadline"]


def test_examples_validate_together(capsys: pytest.CaptureFixture[str]) -> None:
    """`make example` validates them in one call: render-time/ repeats a pair name on purpose."""
    assert run(["validate", *map(str, VALID)]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1] == f"ok: {len(VALID)} ClusterPair spec(s) valid"
    assert all(": info: " in line for line in lines[:-1]), lines


@pytest.mark.parametrize("spec_file", INVALID, ids=lambda p: p.name)
def test_invalid_example_reports_what_it_promises(spec_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    header = EXPECT.match(spec_file.read_text().splitlines()[0])
    assert header, f"{spec_file.name}: first line must be '# EXPECT error <path> (line N): ...'"
    assert run(["validate", "--format", "json", str(spec_file)]) == 1
    problems = json.loads(capsys.readouterr().out)
    assert {(p["severity"], p["path"], p["line"]) for p in problems} >= {("error", header["path"], int(header["line"]))}
    assert all(p["file"] == str(spec_file) for p in problems)


# --- Problem ordering -------------------------------------------------------------------------------------
