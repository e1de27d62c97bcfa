"""Validation rules: every rule fails where it should, at the right place, and passes where it should.

Test design notes:
- Specs are built from BASE (below), a small valid ClusterPair whose line numbers are listed under it.
  `spec(subs, at=N, lines=...)` makes same-line substitutions, then inserts `lines` so that they become lines
  N, N+1, ...: the line and column of every expected problem can be read off the case.
- Every failing case asserts the rule id, the severity, the dotted field path, the exact line and column and a
  substring of the message (and of the suggestion where the hint is the point: "did you mean", quoting).
- Every passing case is a spec that sets the fields some rule checks and yields no problem at all (every rule
  runs on every spec, so each passing case passes all of them).
- Coverage is checked, not hoped for: every id in `generator.mtc.rules.RULES`, every structural rule of
  `generator.spec.schema` and every loader rule of `generator.spec.yamlsource` has a failing case.
- Warnings never fail `validate` unless `--strict`; info findings never fail it.
- The shipped examples: examples/*.yaml and examples/render-time/*.yaml validate clean with exit 0 (together
  too, as `make example` runs them); each examples/invalid/*.yaml exits 1 and reports the error, field path
  and line promised by its `# EXPECT error <path> (line N)` header.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generator.cli import run
from generator.mtc.network import Environment
from generator.mtc.resolve import resolve
from generator.mtc.rules import RULES, SEVERITIES, validate
from generator.problems import Problem, Severity, sorted_problems
from generator.spec.load import load_spec, parse_spec
from tests.conftest import EXAMPLES

E, W = Severity.ERROR, Severity.WARNING

BASE = """\
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
"""
# lines: 1 apiVersion, 2 kind, 3 metadata, 4 name, 5 spec, 6 source, 7 name, 8 openshiftVersion, 9 networkType,
# 10 target, 11 name, 12 openshiftVersion, 13 networkType, 14 cidrs, 15 namespaces, 16 - app1

SDN_SOURCE = ('"4.12"\n    networkType: OVNKubernetes\n  target', '"4.12"\n    networkType: OpenShiftSDN\n  target')
LEGACY_SOURCE = ('"4.12"\n    networkType: OVNKubernetes\n  target', '"3.11"\n    networkType: OpenShiftSDN\n  target')
SOURCE_49 = ('"4.12"\n    networkType: OVNKubernetes\n  target', '"4.9"\n    networkType: OpenShiftSDN\n  target')
NO_CIDRS = ("    cidrs: [203.0.113.0/24]\n", "")
SAME_CLUSTER = ("    name: tgt", "    name: src")
LEGACY_IMAGE = "registry.redhat.io/rhmtc/openshift-migration-legacy-rhel8-operator"
# spec §8: `install` appended as line 17; the remote (source) cluster's registration fields inserted at line 10.
INSTALL = ("    - app1\n", "    - app1\n  install: {}\n")
REMOTE = ["    apiUrl: https://api.src.example.com:6443", "    tokenFrom: {secretRef: src-token}"]
STRICT = ["  networkPolicy: {mode: strict}"]
APPS_DOMAIN = ("    cidrs: [203.0.113.0/24]\n", "    cidrs: [203.0.113.0/24]\n    appsDomain: apps.example.com\n")
IN_NODE_SELECTOR_BASE = ("    networkType: OVNKubernetes\n  target",
                         "    networkType: OVNKubernetes\n    base: node-selector\n  target")
IN_BASE = ("    networkType: OVNKubernetes\n  target", "    networkType: OVNKubernetes\n    base: base\n  target")


def ovn(version: str) -> tuple[str, str]:
    """The source at `version`, on OVN-Kubernetes."""
    return ('"4.12"\n    networkType: OVNKubernetes\n  target',
        f'"{version}"\n    networkType: OVNKubernetes\n  target')


def at(source: str, target: str = "4.14", plugin: str | None = "OVNKubernetes") -> list[tuple[str, str]]:
    """BASE with the source at `source` on `plugin` (None: not given) and the target at `target`."""
    line = f"\n    networkType: {plugin}" if plugin else ""
    return [('"4.14"', f'"{target}"'),
            ('"4.12"\n    networkType: OVNKubernetes\n  target', f'"{source}"{line}\n  target')]


def proxy_at_15(url: str) -> tuple[str, str]:
    """A stunnel proxy as line 15 (before `namespaces:`)."""
    return ("  namespaces:\n", f"  dvm: {{stunnelTCPProxy: {{url: '{url}'}}}}\n  namespaces:\n")


def spec(*subs: tuple[str, str], at: int = 0, lines: Sequence[str] = ()) -> str:
    """BASE with each `old -> new` applied once, then `lines` inserted to become lines `at`, `at + 1`, ..."""
    text = BASE
    for old, new in subs:
        assert text.count(old) == 1, f"{old!r} must occur once"
        text = text.replace(old, new)
    rows = text.splitlines(keepends=True)
    rows[at - 1 : at - 1] = [line + "\n" for line in lines]
    return "".join(rows)


def firewall(entry: str, *subs: tuple[str, str]) -> str:
    """BASE whose only namespace (line 16) is `- source: app1` and line 17 is `      egressFirewall: <entry>`."""
    return spec(*subs, ("    - app1\n", f"    - source: app1\n      egressFirewall: {entry}\n"))


def check(text: str, spec_dir: Path) -> list[Problem]:
    pair, problems = parse_spec(text, "spec.yaml", spec_dir)
    return problems + (validate(pair, Environment(), resolve(pair)) if pair is not None else [])


CONTROLLER = ("apiVersion: migration.openshift.io/v1alpha1\nkind: MigrationController\n"
              "metadata: {name: migration-controller, namespace: openshift-migration}\n")
FIREWALL = ("apiVersion: k8s.ovn.org/v1\nkind: EgressFirewall\nmetadata: {name: default, namespace: app1}\n"
            "spec: {egress: []}\n")


def write_base(folder: Path, kustomization: str, **files: str) -> None:
    folder.mkdir(parents=True)
    (folder / "kustomization.yaml").write_text(kustomization)
    for name, text in files.items():
        (folder / name.replace("_", ".")).write_text(text)


@pytest.fixture
def spec_dir(tmp_path: Path) -> Path:
    """A folder for `base` paths (spec §4.2).

    `base/` holds the MigrationController and app1's EgressFirewall, in a YAML stream; `empty/` is no kustomize
    folder; `no-controller/` holds only the firewall; `broken/` lists a file that does not exist; `remote/`
    lists a remote resource besides the controller; `node-selector/` holds a firewall with a nodeSelector rule.
    """
    write_base(tmp_path / "base", "resources: [objects.yaml]\n", objects_yaml=CONTROLLER + "---\n" + FIREWALL)
    (tmp_path / "empty").mkdir()
    write_base(tmp_path / "no-controller", "resources: [fw.yaml]\n", fw_yaml=FIREWALL)
    write_base(tmp_path / "broken", "resources: [mc.yaml, missing.yaml]\n", mc_yaml=CONTROLLER)
    write_base(tmp_path / "remote", "resources: [mc.yaml, https://github.com/example/config//fw?ref=v1]\n",
               mc_yaml=CONTROLLER)
    node_selector = FIREWALL.replace("egress: []", "egress: [{type: Allow, to: {nodeSelector: {matchLabels: {a: b}}}}]")
    write_base(tmp_path / "node-selector", "resources: [mc.yaml, fw.yaml]\n", mc_yaml=CONTROLLER, fw_yaml=node_selector)
    # spec §8: a CA bundle, a legacy operator base and mirror mappings with and without its image
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    write_base(tmp_path / "legacy", "resources: [operator.yml, controller.yml]\n", controller_yml=CONTROLLER)
    (tmp_path / "legacy" / "operator.yml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: migration-operator, namespace: openshift-migration}\n"
        "spec:\n  template:\n    spec:\n      containers:\n      - name: operator\n        image: "
        f"{LEGACY_IMAGE}:v1.7\n        env: [{{name: REGISTRY, value: registry.redhat.io}}]\n"
    )
    write_base(tmp_path / "legacy-no-registry", "resources: [operator.yml, controller.yml]\n",
               controller_yml=CONTROLLER, operator_yml=(tmp_path / "legacy" / "operator.yml").read_text().replace(
                   "REGISTRY", "PROJECT"))
    (tmp_path / "mapping.txt").write_text(f"{LEGACY_IMAGE}@sha256:{'a' * 64}=mirror.example.com/rhmtc/op\n")
    (tmp_path / "other-mapping.txt").write_text(f"registry.redhat.io/x/y@sha256:{'b' * 64}=mirror.example.com/x/y\n")
    return tmp_path


@dataclass(frozen=True)
class Case:
    text: str
    rule: str
    severity: Severity
    path: str
    line: int
    col: int
    message: str  # a substring of the message
    hint: str = ""  # a substring of the suggestion


def case(*fields: Any, id: str) -> Any:
    return pytest.param(Case(*fields), id=id)


FAILING = [
    # --- structure (generator/spec/schema.py) ---------------------------------------------------------------
    case(spec(("    cidrs: [", "    cidr: [")), "unknown-key", E, "spec.target.cidr", 14, 5,
         "unknown key 'cidr'", "did you mean 'cidrs'?", id="unknown-key-typo"),
    case(spec(at=15, lines=["    rsync_endpoint_type: Route"]), "unknown-key", E, "spec.target.rsync_endpoint_type",
         15, 5, "unknown key", "did you mean 'rsyncEndpointType'?", id="unknown-key-snake-case"),
    case(spec(at=10, lines=["    zzz: 1"]), "unknown-key", E, "spec.source.zzz", 10, 5,
         "unknown key 'zzz'", "allowed keys: name, openshiftVersion", id="unknown-key-no-close-match"),
    case(spec(('"4.12"', "4.10")), "wrong-type", E, "spec.source.openshiftVersion", 8, 23,
         "expected a string, got number", "4.10 becomes 4.1", id="wrong-type-unquoted-version"),
    case(spec(at=6, lines=["  mtcVersion: 1.8"]), "wrong-type", E, "spec.mtcVersion", 6, 15,
         "expected a string, got number", "quote it", id="wrong-type-unquoted-mtc-version"),
    case(spec(("cidrs: [203.0.113.0/24]", "cidrs: 203.0.113.0/24")), "wrong-type", E, "spec.target.cidrs", 14, 12,
         "expected a list, got string", "write a list: [203.0.113.0/24]", id="wrong-type-list"),
    case(spec(("  name: pair", "  name: 1234")), "wrong-type", E, "metadata.name", 4, 9,
         "expected a string, got integer", 'quote it: "1234"', id="wrong-type-string"),
    case(spec(at=15, lines=["  dvm: {rsyncPrivileged: 'yes'}"]), "wrong-type", E, "spec.dvm.rsyncPrivileged", 15, 26,
         "expected true or false, got string", id="wrong-type-bool"),
    case(spec(at=5, lines=["  labels: {team: 7}"]), "wrong-type", E, "metadata.labels.team", 5, 18,
         "expected a string, got integer", "quote the value", id="wrong-type-label-value"),
    case(spec(("    - app1", "    - [app1]")), "wrong-type", E, "spec.namespaces[0]", 16, 7,
         "expected a string or a mapping, got list", id="wrong-type-namespace-entry"),
    case(spec(("    name: tgt\n", "")), "missing-key", E, "spec.target", 11, 5,
         "missing required key 'name'", id="missing-key-cluster-name"),
    case(spec(("  namespaces:\n    - app1\n", "")), "missing-key", E, "spec", 6, 3,
         "missing required key 'namespaces'", id="missing-key-namespaces"),
    case(spec(("    - app1", "    - target: app1")), "missing-key", E, "spec.namespaces[0]", 16, 7,
         "missing required key 'source'", id="missing-key-namespace-source"),
    case(spec(at=15, lines=["    rsyncEndpointType: route"]), "invalid-value", E, "spec.target.rsyncEndpointType",
         15, 24, "'route' is not one of Route, NodePort, ClusterIP (case-sensitive)", "did you mean 'Route'?",
         id="invalid-value-endpoint-case"),
    case(spec(("    networkType: OVNKubernetes\n  target", "    networkType: ovnkubernetes\n  target")),
         "invalid-value", E, "spec.source.networkType", 9, 18, "'ovnkubernetes' is not one of",
         "did you mean 'OVNKubernetes'?", id="invalid-value-network-type-case"),
    # not a ClusterPair: nothing of the file is quoted back (it may be any file a config names)
    case(spec(("v1alpha1", "v1")), "not-a-cluster-pair", E, "", 1, 1,
         "not a ClusterPair: expected a mapping with apiVersion mtc-policygen.io/v1alpha1 and kind ClusterPair",
         "write apiVersion: mtc-policygen.io/v1alpha1", id="not-a-cluster-pair-api-version"),
    case(spec(("kind: ClusterPair", "kind: Clusterpair")), "not-a-cluster-pair", E, "", 1, 1,
         "not a ClusterPair: expected a mapping with apiVersion", "kind: ClusterPair", id="not-a-cluster-pair-kind"),
    case(spec(at=15, lines=["  networkPolicy: {mode: Strict}"]), "invalid-value", E, "spec.networkPolicy.mode",
         15, 25, "'Strict' is not one of open, strict, none", "did you mean 'strict'?", id="invalid-value-mode"),
    case(spec(("  namespaces:\n    - app1\n", "  namespaces: []\n")), "empty-list", E, "spec.namespaces", 15, 15,
         "must list at least one entry", id="empty-list-namespaces"),
    case(spec(at=15, lines=["  dvm:", "    targetSupplementalGroups: []"]), "empty-list", E,
         "spec.dvm.targetSupplementalGroups", 16, 31, "must list at least one entry", id="empty-list-groups"),
    case(spec(at=15, lines=["  dvm:", "    sourceSupplementalGroups: [1000, -1]"]), "out-of-range", E,
         "spec.dvm.sourceSupplementalGroups[1]", 16, 38, "-1 is outside 0..2147483647", id="out-of-range-negative"),
    case(spec(at=15, lines=["  dvm:", "    sourceSupplementalGroups: [2147483648]"]), "out-of-range", E,
         "spec.dvm.sourceSupplementalGroups[0]", 16, 32, "2147483648 is outside", id="out-of-range-too-big"),
    case(spec(at=15, lines=["  dvm:", "    stunnelTCPProxy:", "      url: http://proxy.example.com:3128",
                            "      username: dvm", "      passwordFrom: {env: PW, file: /pw}"]),
         "one-of", E, "spec.dvm.stunnelTCPProxy.passwordFrom", 19, 21, "give exactly one of env, file",
         id="one-of-both"),
    case(spec(at=15, lines=["  dvm:", "    stunnelTCPProxy:", "      url: http://proxy.example.com:3128",
                            "      username: dvm", "      passwordFrom: {}"]),
         "one-of", E, "spec.dvm.stunnelTCPProxy.passwordFrom", 19, 21, "give exactly one of env, file",
         id="one-of-neither"),
    # --- loading (generator/spec/yamlsource.py) -------------------------------------------------------------
    case("apiVersion: [a, b\nkind: ClusterPair\n", "yaml-syntax", E, "", 2, 5, "invalid YAML", id="yaml-syntax"),
    case(spec(("    cidrs: [203.0.113.0/24]", "    cidrs: !!int x")), "yaml-syntax", E, "", 14, 12,
         "cannot read this value as tag:yaml.org,2002:int", id="yaml-syntax-bad-tag"),
    case("# nothing here\n", "empty-document", E, "", 0, 0, "holds no YAML document", id="empty-document"),
    case(BASE + "---\n" + BASE, "multiple-documents", E, "", 18, 1, "expected one YAML document",
         "own file", id="multiple-documents"),
    case(spec(at=8, lines=["    name: again"]), "duplicate-key", E, "", 8, 5, "key 'name' appears twice",
         id="duplicate-key"),
    case(spec(at=10, lines=["    1: one"]), "non-string-key", E, "", 10, 5, "mapping keys must be plain strings",
         id="non-string-key"),
    case(spec(("  source:\n", "  source: &src\n"), at=10, lines=["  other:", "    <<: *src"]), "merge-key", E, "",
         11, 5, "merge keys (<<) are not supported", id="merge-key"),
    case("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
         + "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n" for p, c in zip("abcde", "bcdef", strict=True)),
         "too-many-nodes", E, "", 1, 32, "more than 500,000 nodes", id="too-many-nodes"),
    case("a: " + "[" * 70 + "]" * 70 + "\n", "too-deep", E, "", 1, 68, "nests deeper than 64 levels", id="too-deep"),
    case("a: \x07\n", "not-yaml", E, "", 0, 0, "control characters are not allowed", id="not-yaml-control-char"),
    # --- domain rules (generator/mtc/rules) ---------------------------------------------------------------
    case(spec(("cidrs: [203.0.113.0/24]", "cidrs: [203.0.113.1/24]")), "cidr", E, "spec.target.cidrs[0]", 14, 13,
         "'203.0.113.1/24' has host bits set", "did you mean '203.0.113.0/24'?", id="cidr-host-bits"),
    case(spec(("cidrs: [203.0.113.0/24]", "cidrs: [routers]")), "cidr", E, "spec.target.cidrs[0]", 14, 13,
         "'routers' is not an IP network", id="cidr-not-a-network"),
    case(spec(("cidrs: [203.0.113.0/24]", "cidrs: [203.0.113.0/24, 203.0.113.0/24]")), "cidr-duplicate", W,
         "spec.target.cidrs[1]", 14, 29, "repeats cidrs[0]", id="cidr-duplicate-warning"),
    case(firewall("{name: fw, rules: []}", SDN_SOURCE, ("[203.0.113.0/24]", "[2001:db8::/64]")), "cidr-ipv4-firewall",
         E,
         "spec.target.cidrs[0]", 14, 13, "IPv6, but the source's EgressNetworkPolicy takes IPv4 only",
         id="cidr-ipv6-egressnetworkpolicy"),
    case(spec(at=15, lines=["    appsDomain: Apps.Example.com"]), "apps-domain", E, "spec.target.appsDomain", 15, 17,
         "is not a lower-case DNS name", id="apps-domain-case"),
    case(spec(at=15, lines=["    appsDomain: " + ".".join(["a" * 60] * 4)]), "apps-domain", E,
         "spec.target.appsDomain", 15, 17, "would exceed 253 characters", id="apps-domain-too-long"),
    case(firewall("{name: fw, rules: []}"), "egress-firewall-name", E, "spec.namespaces[0].egressFirewall.name", 17, 30,
         "an EgressFirewall must be named 'default', not 'fw'", "name: default", id="egress-firewall-ovn-name"),
    case(firewall("{name: default}"), "egress-firewall-existing", E, "spec.namespaces[0].egressFirewall", 17, 23,
         "the existing EgressFirewall 'default' is needed", "set source.base", id="egress-firewall-no-rules-no-base"),
    case(firewall("{name: default, rules: []}", NO_CIDRS), "egress-firewall-nothing", E,
         "spec.namespaces[0].egressFirewall",
         16, 23, "nothing to allow through its EgressFirewall", "give target.cidrs", id="egress-firewall-nothing"),
    case(firewall("{rules: [{type: allow, to: {cidrSelector: 0.0.0.0/0}}]}"), "egress-firewall-rules", E,
         "spec.namespaces[0].egressFirewall.rules[0].type", 17, 39, "type must be Allow or Deny",
         id="egress-firewall-existing-rule"),
    case(firewall("{name: fw, rules: [{type: Deny, to: {cidrSelector: 0.0.0.0/0}, ports: []}]}", SDN_SOURCE),
         "egress-firewall-rules", E, "spec.namespaces[0].egressFirewall.rules[0].ports", 17, 93,
         "(EgressNetworkPolicy has no ports)", id="egress-firewall-enp-ports"),
    case(firewall("{name: fw, rules: [" + ", ".join(["{type: Deny, to: {cidrSelector: 10.0.0.0/8}}"] * 1000) + "]}",
                  SDN_SOURCE), "egress-firewall-limit", E, "spec.namespaces[0].egressFirewall", 17, 23,
         "1001 rules exceed the EgressNetworkPolicy limit of 1000", id="egress-firewall-limit"),
    case(firewall("{rules: []}", SAME_CLUSTER, ("\"4.14\"", "\"4.12\""), NO_CIDRS,
                  ("OVNKubernetes\n  namespaces", "OVNKubernetes\n    rsyncEndpointType: ClusterIP\n  namespaces")),
         "egress-firewall-not-applicable", Severity.INFO, "spec.namespaces[0].egressFirewall", 17, 23,
         "egress firewalls do not apply",
         id="egress-firewall-clusterip-info"),
    case(spec(NO_CIDRS, at=14, lines=["  networkPolicy: {mode: strict}"]), "strict-endpoint", E, "spec.target.cidrs",
         11, 5, "strict mode with a Route endpoint needs the target's router VIP", id="strict-endpoint-route"),
    case(spec(NO_CIDRS, at=14, lines=["    rsyncEndpointType: NodePort", "  networkPolicy: {mode: strict}"]),
         "strict-endpoint", E, "spec.target.cidrs", 11, 5, "needs the target's worker InternalIP CIDRs",
         id="strict-endpoint-nodeport"),
    case(spec(("  name: pair", "  name: Pair_1")), "dns1123-label", E, "metadata.name", 4, 9,
         "'Pair_1' is not a DNS-1123 label", "did you mean 'pair-1'?", id="dns1123-label-pair"),
    case(spec(("    - app1", "    - App1")), "dns1123-label", E, "spec.namespaces[0]", 16, 7,
         "'App1' is not a DNS-1123 label", "did you mean 'app1'?", id="dns1123-label-namespace"),
    case(spec(("    - app1", "    - {source: app1, target: " + "t" * 64 + "}")), "dns1123-label", E,
         "spec.namespaces[0].target", 16, 30, "is 64 characters; a DNS-1123 label has at most 63",
         id="dns1123-label-too-long"),
    case(spec(at=10, lines=["    migrationController: {namespace: openshift_migration}"]), "dns1123-label", E,
         "spec.source.migrationController.namespace", 10, 38, "'openshift_migration' is not a DNS-1123 label",
         id="dns1123-label-controller-namespace"),
    case(spec(("    - app1\n", "    - app1\n    - app2\n    - app1\n")), "duplicate-namespace", E, "spec.namespaces[2]",
         18, 7, "source namespace 'app1' is already listed at namespaces[0]", id="duplicate-namespace-source"),
    case(spec(("    - app1\n", "    - app1\n    - {source: app2, target: app1}\n")), "duplicate-namespace", E,
         "spec.namespaces[1]", 17, 7, "target namespace 'app1' is already the target of namespaces[0]",
         id="duplicate-namespace-target"),
    case(spec(SAME_CLUSTER, ('"4.14"', '"4.12"'), ("    - app1\n", "    - app1\n    - {source: app2, target: app3}\n")),
         "namespace-mapping", E, "spec.namespaces[0]", 16, 7, "keeps its name while other namespaces are mapped",
         id="duplicate-namespace-partial-mapping"),
    case(spec(SAME_CLUSTER, ('"4.14"', '"4.12"'), ("    - app1\n", "    - {source: a, target: b}\n    - {source: b, "
                                                   "target: c}\n")),
         "namespace-mapping", E, "spec.namespaces[0]", 16, 7, "'b' is both a target and a source",
         id="duplicate-namespace-chain"),
    case(spec(SAME_CLUSTER), "same-cluster", E, "spec.target.openshiftVersion", 12, 23,
         "the target is the source cluster src, but its openshiftVersion differs", id="same-cluster-version"),
    case(spec(at=10, lines=["    base: missing"]), "base-path", E, "spec.source.base", 10, 11,
         "base 'missing' is not a directory", id="base-path-missing"),
    case(spec(at=10, lines=["    base: empty"]), "base-path", E, "spec.source.base", 10, 11,
         "base 'empty' has no kustomization.yaml", id="base-path-no-kustomization"),
    case(spec(at=15, lines=["  dvm:", "    sourceSupplementalGroups: [1000, 1000]"]), "supplemental-groups", W,
         "spec.dvm.sourceSupplementalGroups[1]", 16, 38, "group 1000 is listed twice", id="supplemental-groups-repeat"),
    case(spec(at=10, lines=["    proxy:", "      httpProxy: proxy.example.com:3128"]), "proxy-url", E,
         "spec.source.proxy.httpProxy", 11, 18, "not a proxy URL", "write http://host:port", id="proxy-url-no-scheme"),
    case(spec(at=10, lines=["    proxy:", "      httpsProxy: http://proxy.example.com"]), "proxy-url", E,
         "spec.source.proxy.httpsProxy", 11, 19, "the proxy URL has no port", id="proxy-url-no-port"),
    case(spec(at=10, lines=["    proxy:", "      httpProxy: http://u:p@proxy.example.com:3128"]), "proxy-credentials",
         E,
         "spec.source.proxy.httpProxy", 11, 18, "carries credentials", id="proxy-credentials-http-proxy"),
    case(spec(at=10, lines=["    proxy:", "      noProxy: [.svc]"]), "no-proxy-ignored", W,
         "spec.source.proxy.noProxy", 11, 16,
         "noProxy without httpProxy or httpsProxy is ignored", id="no-proxy-without-proxy-warning"),
    case(spec(at=10, lines=["    proxy:", "      httpProxy: http://proxy:3128",
                            "      noProxy: [.svc, '*.example.com']"]),
         "no-proxy", E, "spec.source.proxy.noProxy[1]", 12, 23,
         "'*.example.com' is not a domain, .domain, *, IP or CIDR", id="no-proxy-bad-entry"),
    case(spec(at=15, lines=["  dvm:", "    stunnelTCPProxy:", "      url: http://dvm:secret@proxy.example.com:3128"]),
         "proxy-credentials", E, "spec.dvm.stunnelTCPProxy.url", 17, 12, "carries credentials", "passwordFrom",
         id="proxy-credentials-stunnel"),
    case(spec(at=15, lines=["  dvm:", "    stunnelTCPProxy:", "      url: https://proxy.example.com:3128"]),
         "stunnel-proxy-url", E, "spec.dvm.stunnelTCPProxy.url", 17, 12, "scheme 'https'", id="stunnel-proxy-https"),
    case(spec(at=15, lines=["  dvm:", "    stunnelTCPProxy:", "      url: proxy.example.com:3128"]),
         "stunnel-proxy-url", E, "spec.dvm.stunnelTCPProxy.url", 17, 12, "not a URL with a host",
         id="stunnel-proxy-no-scheme"),
    case(spec(at=15, lines=["  dvm:", "    stunnelTCPProxy:", "      url: http://proxy.example.com"]),
         "stunnel-proxy-url", E, "spec.dvm.stunnelTCPProxy.url", 17, 12, "the URL has no port",
         id="stunnel-proxy-no-port"),
    case(spec(at=15, lines=["  dvm:", "    stunnelTCPProxy:", "      url: http://proxy:3128",
                            "      passwordFrom: {env: PW}"]),
         "stunnel-proxy-password-unused", E, "spec.dvm.stunnelTCPProxy.passwordFrom", 18, 21,
         "a password without `username` is never sent", id="stunnel-proxy-password-without-user"),
    case(spec(at=15, lines=["  dvm:", "    stunnelTCPProxy:", "      url: http://proxy:3128", "      username: dvm",
                            "      passwordFrom: {env: 1PW}"]), "stunnel-proxy-password-source", E,
         "spec.dvm.stunnelTCPProxy.passwordFrom.env", 19, 27, "'1PW' is not an environment variable name",
         id="stunnel-proxy-env-name"),
    case(spec(at=15, lines=["  dvm:", "    stunnelTCPProxy:", "      url: http://proxy:3128", "      username: dvm"]),
         "stunnel-proxy-no-password", W, "spec.dvm.stunnelTCPProxy.username", 18, 17, "a username without passwordFrom",
         id="stunnel-proxy-user-without-password-warning"),
    case(spec(at=15, lines=["  dvm:", "    stunnelTCPProxy:", "      url: http://proxy:3128", "  networkPolicy:",
                            "    mode: strict"]), "stunnel-proxy-strict-host", W, "spec.dvm.stunnelTCPProxy.url", 17,
                            12,
         "strict mode cannot name the proxy host 'proxy'", id="stunnel-proxy-strict-hostname-warning"),
    case(spec(('"4.12"', '"4.12.3"')), "openshift-version", E, "spec.source.openshiftVersion", 8, 23,
         "'4.12.3' is not \"3.11\" or \"4.N\"", 'write "4.12"', id="openshift-version-patch"),
    case(spec(('"4.14"', '"5.0"')), "openshift-version", E, "spec.target.openshiftVersion", 12, 23,
         "'5.0' is not", id="openshift-version-major"),
    case(spec(SOURCE_49, at=6, lines=['  mtcVersion: "1.8"']), "mtc-compatibility", E, "spec.mtcVersion", 6, 15,
         "MTC 1.8 does not support a 4.9 source", 'use "1.7"', id="mtc-version-18-from-49"),
    case(spec(at=6, lines=['  mtcVersion: "1.7"']), "mtc-version-superseded", W, "spec.mtcVersion", 6, 15,
         "MTC 1.7 between 4.12 and 4.14", id="mtc-version-17-on-modern-warning"),
    case(spec(at=6, lines=['  mtcVersion: "1.9"']), "mtc-version", E, "spec.mtcVersion", 6, 15,
         "'1.9' is not an MTC version", id="mtc-version-unknown"),
    case(spec(('"4.14"', '"4.9"')), "mtc-compatibility", E, "spec.target.openshiftVersion", 12, 23,
         "mixed MTC versions", id="mtc-version-mixed"),
    case(spec(LEGACY_SOURCE, at=6, lines=["  controlCluster: source"]), "legacy-control-cluster", E,
         "spec.controlCluster", 6, 19, "the source cluster src runs OpenShift 3.11, a legacy platform",
         "set controlCluster: target", id="legacy-control-cluster-311"),
    case(spec(LEGACY_SOURCE, ('"4.14"', '"4.5"')), "legacy-control-cluster", E, "spec.controlCluster", 6, 3,
         "the target cluster tgt runs OpenShift 4.5", id="legacy-control-cluster-default-target"),
    case(spec(SOURCE_49, ("OVNKubernetes\n    cidrs", "OVNKubernetes\n    rsyncEndpointType: NodePort\n    cidrs"),
              at=6, lines=['  mtcVersion: "1.7.6"']), "endpoint-version", E, "spec.target.rsyncEndpointType", 15, 24,
         "NodePort endpoints need MTC 1.7.7 or later; MTC 1.7.6 always uses a Route", id="endpoint-version"),
    case(spec(at=15, lines=["    rsyncEndpointType: ClusterIP"]), "clusterip-cross-cluster", W,
         "spec.target.rsyncEndpointType", 15, 24, "ClusterIP between two clusters (src -> tgt)",
         id="clusterip-cross-cluster-warning"),
    case(spec(("4.12\"\n    networkType: OVNKubernetes\n  target", "3.11\"\n    networkType: OVNKubernetes\n  target")),
         "network-type", E, "spec.source.networkType", 9, 18, "OpenShift 3.x runs only OpenShift SDN",
         "networkType: OpenShiftSDN", id="network-type-311-ovn"),
    case(spec(('"4.14"\n    networkType: OVNKubernetes', '"4.17"\n    networkType: OpenShiftSDN')), "network-type", E,
         "spec.target.networkType", 13, 18, "OpenShift SDN is removed in 4.17", id="network-type-417-sdn"),
    case(firewall("{rules: []}", ("    networkType: OVNKubernetes\n  target", "  target")), "network-type-needed", E,
         "spec.source.networkType", 7, 5, "the egress firewall kind depends on the network plugin",
         id="network-type-needed-for-firewall"),
    # --- openings (spec §9) -----------------------------------------------------------------------------------
    case(spec(at=15, lines=["  openings: {state: closed}"]), "openings-window", Severity.INFO, "spec.openings.state",
         15, 21, "the openings are closed", id="openings-window-closed"),
    case(spec(at=15, lines=["  openings: {closesAt: 2020-01-01T00:00:00Z}"]), "openings-window", Severity.INFO,
         "spec.openings.closesAt", 15, 24, "the openings closed at 2020-01-01T00:00:00Z", "state: closed",
         id="openings-window-passed"),
    case(spec(at=15, lines=["  openings: {closesAt: '2027-01-31T19:00:00+01:00'}"]), "openings-closes-at", E,
         "spec.openings.closesAt", 15, 24, "not in UTC", "write 2027-01-31T18:00:00Z", id="openings-closes-at-offset"),
    # --- per-version capabilities (spec §4.1) ---------------------------------------------------------------
    case(spec(LEGACY_SOURCE, ('"4.14"', '"4.9"')), "egress-policy-unenforced", Severity.INFO,
         "spec.source.openshiftVersion", 8, 23, "OpenShift SDN on 3.11 does not enforce egress NetworkPolicies",
         "egress firewall", id="egress-policy-unenforced-311"),
    case(spec(SOURCE_49), "egress-policy-unenforced", Severity.INFO, "spec.source.openshiftVersion", 8, 23,
         "OpenShift SDN on 4.9 does not enforce egress NetworkPolicies: no egress policy",
         id="egress-policy-unenforced-49"),
    case(spec(("\"4.12\"\n    networkType: OVNKubernetes\n  target", "\"4.8\"\n  target"), ('"4.14"', '"4.9"')),
         "egress-policy-plugin-unknown", Severity.INFO, "spec.source.openshiftVersion", 8, 23,
         "OpenShift 4.8 enforces them only on OVN-Kubernetes", "set source.networkType",
         id="egress-policy-plugin-unknown"),
    case(spec(ovn("4.9"), ('"4.14"', '"4.9"'), at=15, lines=["    rsyncEndpointType: NodePort", *STRICT]),
         "node-port-range", W, "spec.target.rsyncEndpointType", 15, 24,
         "OpenShift 4.9 drops NetworkPolicy endPort (from 4.10)", id="node-port-range-49"),
    case(spec(SAME_CLUSTER, ovn("4.7"), ('"4.14"\n    networkType: OVNKubernetes',
         '"4.7"\n    networkType: OVNKubernetes'),
              NO_CIDRS, at=14, lines=["    rsyncEndpointType: ClusterIP", *STRICT]),
         "strict-namespace-by-name", E, "spec.networkPolicy.mode", 15, 25,
         "OpenShift 4.7 does not label namespaces with kubernetes.io/metadata.name", "mode: open",
         id="strict-namespace-by-name-47"),
    case(spec(ovn("4.7"), ('"4.14"', '"4.9"'), at=15, lines=STRICT), "dns-port-only", Severity.INFO,
         "spec.source.openshiftVersion", 8, 23, "OpenShift 4.7 cannot select openshift-dns by name",
         id="dns-port-only-47"),
    case(spec(ovn("4.6"), ('"4.14"', '"4.6"'), at=15, lines=STRICT), "router-label-legacy", Severity.INFO,
         "spec.target.openshiftVersion", 12, 23, "selects network.openshift.io/policy-group: ingress instead",
         id="router-label-legacy-46"),
    case(spec(ovn("4.6"), ('"4.14"\n    networkType: OVNKubernetes', '"4.6"\n    networkType: OpenShiftSDN'),
              at=15, lines=STRICT), "router-label-legacy", Severity.INFO, "spec.target.openshiftVersion", 12, 23,
         "admits TCP 6443 to the rsync server pods from any source", "a cluster-wide change",
         id="router-host-network-sdn-46"),
    case(spec(LEGACY_SOURCE), "client-side-apply", Severity.INFO, "spec.source.openshiftVersion", 8, 23,
         "has no server-side apply (from 4.3)", "give this cluster a `base`", id="client-side-apply-311"),
    case(firewall("{rules: []}", ovn("4.6"), ('"4.14"', '"4.9"'), APPS_DOMAIN), "egress-firewall-dns-name",
         Severity.INFO, "spec.target.appsDomain", 15, 17, "OpenShift 4.6 has no dnsName rules (from 4.7)",
         id="egress-firewall-dns-name-46"),
    case(firewall("{rules: []}", ovn("4.6"), ('"4.14"', '"4.9"'), proxy_at_15("http://proxy.example.com:3128")),
         "egress-firewall-proxy-host", E, "spec.dvm.stunnelTCPProxy.url", 15, 32,
         "the proxy host 'proxy.example.com' cannot be allowed by name", "give the proxy's IP address",
         id="egress-firewall-proxy-host-46"),
    case(firewall("{name: fw, rules: []}", SDN_SOURCE, proxy_at_15("http://[2001:db8::30]:3128")),
         "egress-firewall-proxy-ipv6", E, "spec.dvm.stunnelTCPProxy.url", 15, 32, "EgressNetworkPolicy is IPv4 only",
         id="egress-firewall-proxy-ipv6"),
    case(firewall("{name: fw, rules: [" + ", ".join(["{type: Deny, to: {cidrSelector: 10.0.0.0/8}}"] * 50) + "]}",
                  LEGACY_SOURCE), "egress-firewall-limit", E, "spec.namespaces[0].egressFirewall", 17, 23,
         "51 rules exceed the EgressNetworkPolicy limit of 50 on OpenShift 3.11", id="egress-firewall-limit-311"),
    case(firewall("{rules: [{type: Allow, to: {nodeSelector: {matchLabels: {a: b}}}}]}", ovn("4.10")),
         "egress-firewall-rules", E, "spec.namespaces[0].egressFirewall.rules[0].to.nodeSelector", 17, 65,
         "nodeSelector rules exist from OpenShift 4.11; OpenShift 4.10 rejects",
         id="egress-firewall-node-selector-410"),
    case(firewall("{rules: [{type: Allow, to: {dnsName: a.example.com}}]}", ovn("4.6"), ('"4.14"', '"4.9"')),
         "egress-firewall-rules", E, "spec.namespaces[0].egressFirewall.rules[0].to.dnsName", 17, 60,
         "dnsName rules exist from OpenShift 4.7; OpenShift 4.6 rejects", id="egress-firewall-dns-name-rule-46"),
    case(spec(('"4.14"', '"4.99"')), "openshift-version-newer", W, "spec.target.openshiftVersion", 12, 23,
         "OpenShift 4.99 is newer than the facts", id="openshift-version-newer"),
    case(spec(('"4.14"', '"34.1.2"')), "openshift-version", E, "spec.target.openshiftVersion", 12, 23,
         "'34.1.2' is not", 'e.g. "4.12"', id="openshift-version-no-false-hint"),
    case(firewall("{name: default}", *at("4.10"), IN_NODE_SELECTOR_BASE), "egress-firewall-rules", E,
         "spec.namespaces[0].egressFirewall", 18, 23,
         "base node-selector: EgressFirewall app1/default egress.0.to.nodeSelector: EgressFirewall nodeSelector rules "
         "exist from OpenShift 4.11", id="egress-firewall-node-selector-in-base-410"),
    # --- §3: secrets and same-cluster proxies ------------------------------------------------------------
    case(spec(at=10, lines=["    proxy:", "      httpsProxy: http://user:s3cret@proxy.example.com:3128"]),
         "proxy-credentials", E, "spec.source.proxy.httpsProxy", 11, 19, "carries credentials",
         id="proxy-credentials-https"),
    case(spec(SAME_CLUSTER, ('"4.14"', '"4.12"'), NO_CIDRS, at=14, lines=[
        "    rsyncEndpointType: ClusterIP", "  dvm: {stunnelTCPProxy: {url: 'http://192.0.2.30:3128'}}"]),
         "stunnel-proxy-same-cluster", E, "spec.dvm.stunnelTCPProxy", 15, 26, "source and target are one cluster",
         "remove dvm.stunnelTCPProxy", id="stunnel-proxy-same-cluster"),
    # --- §4.2: what a base holds (folders of the spec_dir fixture) ------------------------------------------
    case(spec(at=10, lines=["    base: no-controller"]), "base-controller", E, "spec.source.base", 10, 11,
         "base no-controller holds no MigrationController openshift-migration/migration-controller", "it holds",
         id="base-controller-missing"),
    case(spec(at=10, lines=["    migrationController: {name: mtc}", "    base: base"]), "base-controller", E,
         "spec.source.base", 11, 11, "holds no MigrationController openshift-migration/mtc to patch; it holds "
         "openshift-migration/migration-controller", id="base-controller-other-name"),
    case(spec(at=10, lines=["    base: broken"]), "base-broken", E, "spec.source.base", 10, 11,
         "base broken: kustomization.yaml: resource missing.yaml does not exist", id="base-broken"),
    case(spec(at=10, lines=["    base: remote"]), "base-unchecked", W, "spec.source.base", 10, 11,
         "was not fully checked: kustomization.yaml: remote resource", id="base-unchecked-remote"),
    case(spec(IN_BASE, ("    - app1\n", "    - source: app2\n      egressFirewall: {name: default}\n")),
         "base-firewall",
         E, "spec.namespaces[0].egressFirewall.name", 18, 30,
         "base base holds no EgressFirewall app2/default, so the patch would match nothing",
         id="base-firewall-missing"),
    case(firewall("{rules: []}", IN_BASE), "base-firewall", E, "spec.namespaces[0].egressFirewall.rules", 18, 31,
         "already holds EgressFirewall app1/default", "remove `rules:`", id="base-firewall-and-rules"),
    # --- spec §8 (generator/mtc/rules/install.py) ----------------------------------------------------------
    case(spec(LEGACY_SOURCE, INSTALL, at=10, lines=REMOTE), "install-legacy-operator", E, "spec.source", 7, 5,
         "a legacy platform: `install` needs a `base`", "podman cp", id="install-legacy-without-base"),
    case(spec(LEGACY_SOURCE, INSTALL, at=10, lines=[*REMOTE, "    base: base"]), "install-legacy-operator", E,
         "spec.source.base", 12, 11, "base base holds no Deployment openshift-migration/migration-operator",
         id="install-legacy-base-without-operator"),
    case(spec(LEGACY_SOURCE, ("    - app1\n", "    - app1\n  install: {mirror: {mapping: other-mapping.txt}}\n"),
              at=10, lines=[*REMOTE, "    base: legacy"]),
         "mirror-mapping", E, "spec.install.mirror.mapping", 20, 31,
         f"other-mapping.txt has no digest line for {LEGACY_IMAGE}; it holds registry.redhat.io/x/y",
         id="install-mapping-without-legacy-image"),
    case(spec(("    - app1\n", "    - app1\n  install: {catalogSource: Mirror_Catalog}\n"), at=10, lines=REMOTE),
         "install-catalog", E, "spec.install.catalogSource", 19, 28, "'Mirror_Catalog' is not a CatalogSource name",
         id="install-catalog-name"),
    case(spec(INSTALL), "registration-remote", E, "spec.source", 7, 5,
         "src is registered as remote on the control cluster (MigCluster): it needs apiUrl", "add apiUrl",
         id="registration-without-api-url"),
    case(spec(at=10, lines=["    insecure: true", "    caBundleFile: ca.pem"]), "registration-insecure-with-ca", E,
         "spec.source.insecure", 10, 15, "insecure: true with caBundleFile", id="registration-insecure-with-ca"),
    case(spec(at=10, lines=["    insecure: true"]), "registration-insecure", W, "spec.source.insecure", 10, 15,
         "will not verify this API server's certificate", "caBundleFile", id="registration-insecure"),
    case(spec(at=10, lines=["    caBundleFile: missing.pem"]), "ca-bundle-file", E, "spec.source.caBundleFile",
         10, 19, "cannot read the CA bundle missing.pem: no such file", id="registration-unreadable-ca"),
    case(spec(at=10, lines=["    apiUrl: http://api.src.example.com:6443"]), "registration-api-url", E,
         "spec.source.apiUrl", 10, 13, "not an API server URL", id="registration-api-url-scheme"),
    case(spec(at=10, lines=["    apiUrl: https://api.src.example.com:6443"]), "registration-unused", W,
         "spec.source.apiUrl", 10, 5, "not used: no cluster is registered", id="registration-unused"),
    case(spec(INSTALL, at=15, lines=["    tokenFrom: {env: T}"]), "registration-unused", W, "spec.target.tokenFrom",
         15, 5, "tgt is the control cluster", id="registration-on-control-cluster"),
    case(spec(at=17, lines=["  replicationRepository:", "    name: mcg", "    s3Url: s3.example.com",
                            "    bucket: bucket1", "    credentialsFrom: {secretRef: mcg}"]), "repository-url", E,
         "spec.replicationRepository.s3Url", 19, 12, "not an S3 URL", id="repository-url"),
    case(spec(at=17, lines=["  replicationRepository:", "    name: mcg", "    s3Url: https://k:s@s3.example.com",
                            "    bucket: bucket1", "    credentialsFrom: {secretRef: mcg}"]), "repository-url", E,
         "spec.replicationRepository.s3Url", 19, 12, "the URL carries credentials", "credentialsFrom",
         id="repository-url-credentials"),
    case(spec(at=17, lines=["  replicationRepository:", "    name: mcg", "    s3Url: https://s3.example.com",
                            "    bucket: Migration_Repo", "    credentialsFrom: {secretRef: mcg}"]),
         "repository-bucket", E, "spec.replicationRepository.bucket", 20, 13,
         "'Migration_Repo' is not an S3 bucket name", id="repository-bucket"),
    case(spec(at=10, lines=["    proxy: {httpsProxy: 'http://proxy.example.com:3128', noProxy: [.svc]}"],
              ) + "  replicationRepository: {name: mcg, s3Url: 'https://s3.example.com', bucket: bucket1, "
         "credentialsFrom: {secretRef: mcg}}\n", "repository-behind-proxy", W, "spec.source.proxy.noProxy", 10, 67,
         "noProxy does not cover the replication repository host s3.example.com", id="repository-behind-proxy"),
    case(spec(("    - app1\n", "    - app1\n  install: {mirror: {mapping: mapping.txt}}\n"), at=10, lines=REMOTE),
         "mirror-mapping-unused", W, "spec.install.mirror.mapping", 19, 31, "no cluster of this pair is legacy",
         id="mirror-mapping-unused"),
    case(spec(LEGACY_SOURCE, ("    - app1\n", "    - app1\n  install: {mirror: {mapping: mapping.txt}}\n"),
              at=10, lines=[*REMOTE, "    base: legacy-no-registry"]), "legacy-registry-env", W, "spec.source.base",
         12, 11, "no container of Deployment migration-operator sets env REGISTRY", id="legacy-registry-env"),
    case(spec(at=10, lines=["    tokenFrom: {env: 'OCP-TOKEN'}"]), "credential-source", E,
         "spec.source.tokenFrom.env", 10, 22, "'OCP-TOKEN' is not an environment variable name",
         id="credential-source-env"),
]
PASSING = [
    pytest.param(BASE, id="base"),
    pytest.param(spec(at=10, lines=["    migrationController: {name: mc, namespace: openshift-migration}"]), id="keys"),
    pytest.param(spec(at=5, lines=["  labels: {team: a}", "  annotations: {note: b}", "  namespace: x"]),
                 id="metadata"),
    pytest.param(spec(at=15, lines=["    rsyncEndpointType: NodePort", "  controlCluster: source", "  networkPolicy:",
                                    "    mode: none"]), id="enums"),
    pytest.param(spec(at=15, lines=["  dvm:", "    sourceSupplementalGroups: [0, 2147483647]",
                                    "    targetSupplementalGroups: [2000]", "    rsyncPrivileged: false"]),
                 id="groups"),
    pytest.param(spec(at=15, lines=["  dvm:", "    stunnelTCPProxy:", "      url: http://192.0.2.30:3128",
                                    "      username: dvm", "      passwordFrom: {file: /etc/pw}", "  networkPolicy:",
                                    "    mode: strict"]), id="stunnel-file-strict-by-ip"),
    pytest.param(spec(at=15, lines=["  dvm:", "    stunnelTCPProxy:", "      url: http://proxy.example.com:3128/",
                                    "      username: dvm", "      passwordFrom: {env: DVM_PROXY_PASSWORD}"]),
                 id="stunnel-env"),
    pytest.param(spec(("cidrs: [203.0.113.0/24]", "cidrs: [203.0.113.0/24, 198.51.100.7, 2001:db8::/64]")), id="cidrs"),
    pytest.param(spec(at=15, lines=["    appsDomain: apps.ocp414.example.com"]), id="apps-domain"),
    pytest.param(firewall("{name: default, rules: [{type: Allow, to: {dnsName: '*.example.com'}, ports: [{protocol: "
                          "TCP, port: 443}]}, {type: Deny, to: {cidrSelector: 0.0.0.0/0}}]}"), id="firewall-ovn"),
    pytest.param(firewall("{name: egress, rules: [{type: Deny, to: {cidrSelector: 0.0.0.0/0}}]}", SDN_SOURCE),
                 id="firewall-sdn"),
    pytest.param(firewall("{name: default}", ("    networkType: OVNKubernetes\n  target",
                                              "    networkType: OVNKubernetes\n    base: base\n  target")),
                 id="firewall-in-base"),
    pytest.param(spec(at=15, lines=["    rsyncEndpointType: NodePort", "  networkPolicy: {mode: strict}"]),
                 id="strict-nodeport"),
    pytest.param(spec(("    - app1\n", "    - app-1\n    - {source: db, target: db-migrated}\n    - {source: x}\n")),
                 id="namespaces"),
    pytest.param(spec(SAME_CLUSTER, ('"4.14"', '"4.12"'), NO_CIDRS, ("    - app1\n", "    - app1\n    - app2\n"),
                      at=14, lines=["    rsyncEndpointType: ClusterIP", "  networkPolicy: {mode: strict}"]),
                 id="same-cluster-storage-class-conversion"),
    pytest.param(spec(SAME_CLUSTER, ('"4.14"', '"4.12"'), ("    - app1\n", "    - {source: a, target: a2}\n"),
                      at=15, lines=["    rsyncEndpointType: ClusterIP"]), id="same-cluster-move"),
    pytest.param(spec(at=10, lines=["    base: base"]), id="base-path"),
    pytest.param(spec(at=10, lines=["    proxy:", "      httpProxy: http://proxy.example.com:3128",
                                    "      httpsProxy: http://10.0.0.1:3128",
                                    "      noProxy: ['*', .svc, example.com, 10.0.0.0/16, 192.0.2.1, 2001:db8::1]"]),
                 id="proxy"),
    pytest.param(spec(at=10, lines=["    proxy:", "      httpProxy: https://proxy.example.com:3128",
                                    "      httpsProxy: https://10.0.0.1:3129"]), id="proxy-https"),
    pytest.param(spec(at=6, lines=['  mtcVersion: "1.8"']), id="mtc-18"),
    pytest.param(spec(SOURCE_49, at=6, lines=['  mtcVersion: "1.7.7"']), id="mtc-177-from-49"),
    pytest.param(spec(LEGACY_SOURCE, at=6, lines=['  mtcVersion: "1.7"', "  controlCluster: target"]),
                 id="legacy-source-controlled-by-target"),
    pytest.param(spec(SOURCE_49, ("OVNKubernetes\n    cidrs", "OVNKubernetes\n    rsyncEndpointType: NodePort\n    "
                                  "cidrs"), at=6, lines=['  mtcVersion: "1.7.7"']), id="endpoint-version-177"),
    pytest.param(spec(('"4.12"\n    networkType: OVNKubernetes', '"4.17"'), ('"4.14"\n    networkType: OVNKubernetes',
                      '"4.18"')), id="network-type-derived"),
    pytest.param("---\n" + spec(("  name: pair", "  name: &n pair"), ("    - app1", "    - *n")) + "...\n",
                 id="document-markers-and-alias"),
    pytest.param(spec(LEGACY_SOURCE, ("    - app1\n", "    - app1\n  install: {catalogSource: mtc-operator-catalog, "
                                      "installPlanApproval: Automatic, mirror: {mapping: mapping.txt}}\n"
                                      "  replicationRepository: {name: mcg, s3Url: 'https://s3.example.com', bucket: "
                                      "bucket1, region: eu-west-1, caBundleFile: ca.pem, credentialsFrom: {env: "
                                      "{accessKeyId: K, secretAccessKey: S}}}\n"),
                      at=10, lines=[*REMOTE, "    base: legacy", "    caBundleFile: ca.pem",
                                    "    proxy: {httpProxy: 'http://p.example.com:3128', noProxy: [example.com]}"]),
                 id="install-legacy-mirror-repository-registration"),
]

STRUCTURAL_RULES = {"unknown-key", "wrong-type", "missing-key", "invalid-value", "empty-list", "out-of-range", "one-of"}
LOADER_RULES = {"yaml-syntax", "empty-document", "multiple-documents", "duplicate-key", "non-string-key", "merge-key",
                "too-many-nodes", "too-deep", "not-yaml"}


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
    wrong = [(c.values[0].rule, c.values[0].severity) for c in FAILING
             if c.values[0].rule in SEVERITIES and c.values[0].severity is not SEVERITIES[c.values[0].rule]]
    assert wrong == []


@pytest.mark.parametrize("c", FAILING)
def test_rule_fails(c: Case, spec_dir: Path) -> None:
    problems = check(c.text, spec_dir)
    found = [p for p in problems if p.rule == c.rule and c.message in p.message]
    assert found, "\n".join(p.text() for p in problems)
    p = found[0]
    assert (p.severity, p.path, p.line, p.column) == (c.severity, c.path, c.line, c.col), p.text()
    assert c.hint in p.suggestion
    assert p.file == "spec.yaml"


@pytest.mark.parametrize("text", PASSING)
def test_rule_passes(text: str, spec_dir: Path) -> None:
    """No error or warning; info findings (what an older cluster gets instead, spec §4.1) are allowed."""
    assert [p.text() for p in check(text, spec_dir) if p.severity is not Severity.INFO] == []


# --- file-level loader rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "rule", "message"),
    [
        pytest.param(None, "unreadable-file", "no such file", id="missing"),
        pytest.param(b"kind: x\x00\x01", "not-yaml", "binary data", id="nul-bytes"),
        pytest.param(b"kind: \xff\xfe", "not-yaml", "not UTF-8", id="not-utf8"),
        pytest.param(b"#" * (4 * 1024 * 1024 + 1), "file-too-large", "a ClusterPair spec must be under", id="large"),
    ],
)
def test_file_rules(tmp_path: Path, content: bytes | None, rule: str, message: str) -> None:
    file = tmp_path / "spec.yaml"
    if content is not None:
        file.write_bytes(content)
    pair, problems = load_spec(file, "spec.yaml")
    assert pair is None
    assert [(p.rule, p.severity, p.line, p.column, p.path) for p in problems] == [(rule, E, 0, 0, "")]
    assert message in problems[0].message


def test_file_rules_pass(tmp_path: Path) -> None:
    file = tmp_path / "spec.yaml"
    file.write_bytes(b"\xef\xbb\xbf" + BASE.encode())  # a UTF-8 BOM is fine
    pair, problems = load_spec(file, "spec.yaml")
    assert pair is not None
    assert problems == []


# --- spec §8 endpoint URLs are parsed when loaded ---------------------------------------------------------

REPOSITORY = ["  replicationRepository:", "    name: mcg", "    s3Url: HTTPS://S3.example.com:8443/",
              "    bucket: bucket1", "    credentialsFrom: {secretRef: mcg}"]


def test_endpoint_urls_are_parsed_when_loaded(spec_dir: Path) -> None:
    """The model holds the parsed URL and the text as written (rendered verbatim: output stays byte-identical)."""
    pair, problems = parse_spec(spec(INSTALL, at=10, lines=REMOTE) + "\n".join(REPOSITORY) + "\n", "spec.yaml",
                                spec_dir)
    assert problems == []
    assert pair is not None
    assert pair.source.api_url is not None
    assert pair.replication_repository is not None
    api, s3 = pair.source.api_url, pair.replication_repository.s3_url
    assert (api.text, api.address.scheme, api.address.host, api.address.port) == (
        "https://api.src.example.com:6443", "https", "api.src.example.com", 6443)
    assert (s3.text, s3.address.scheme, s3.address.host, s3.address.port) == (
        "HTTPS://S3.example.com:8443/", "https", "s3.example.com", 8443)


@pytest.mark.parametrize(
    ("lines", "rule", "line"),
    [
        pytest.param(["    apiUrl: https://api.src.example.com:6443/path"], "registration-api-url", 10, id="api-path"),
        pytest.param(["    apiUrl: 'https://'"], "registration-api-url", 10, id="api-no-host"),
    ],
)
def test_an_unparseable_endpoint_url_is_a_structural_problem(spec_dir: Path, lines: list[str], rule: str,
                                                             line: int) -> None:
    pair, problems = parse_spec(spec(at=10, lines=lines), "spec.yaml", spec_dir)
    assert pair is None
    assert [(p.rule, p.line, p.path) for p in problems] == [(rule, line, "spec.source.apiUrl")]


def test_an_unparseable_s3_url_is_a_structural_problem(spec_dir: Path) -> None:
    text = spec(INSTALL) + "\n".join(REPOSITORY).replace("HTTPS://S3.example.com:8443/", "s3://bucket") + "\n"
    pair, problems = parse_spec(text, "spec.yaml", spec_dir)
    assert pair is None
    assert [(p.rule, p.line, p.column, p.path) for p in problems] == [
        ("repository-url", 20, 12, "spec.replicationRepository.s3Url")]


# --- severities through the CLI ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        pytest.param(spec(at=10, lines=["    proxy:", "      noProxy: [.svc]"]), W, id="no-proxy-warning"),
        pytest.param(spec(at=15, lines=["    rsyncEndpointType: ClusterIP"]), W, id="clusterip-warning"),
        pytest.param(firewall("{rules: []}", SAME_CLUSTER, ('"4.14"', '"4.12"'), NO_CIDRS,
                              ("OVNKubernetes\n  namespaces", "OVNKubernetes\n    rsyncEndpointType: ClusterIP\n"
                                                              "  namespaces")), Severity.INFO, id="info"),
    ],
)
def test_warnings_fail_only_with_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
                                        severity: Severity) -> None:
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


def test_problems_sort_without_comparing_severities() -> None:
    """Two problems at one place that differ only in severity: dataclass ordering used to compare the Enum."""
    error = Problem("spec.yaml", 3, 5, "spec.x", E, "rule", "message")
    warning = Problem("spec.yaml", 3, 5, "spec.x", W, "rule", "message")
    info = Problem("spec.yaml", 3, 5, "spec.x", Severity.INFO, "rule", "message")
    assert sorted([info, warning, error]) == [error, warning, info]
    assert sorted_problems([info, warning, error, error]) == [error, warning, info]


# --- spec §4.1: every row on both sides of its boundary version ---------------------------------------------


def row(rule: str, below: str, at_boundary: str, id: str) -> Any:
    return pytest.param(rule, below, at_boundary, id=id)


FIFTY = "{name: fw, rules: [" + ", ".join(["{type: Deny, to: {cidrSelector: 10.0.0.0/8}}"] * 50) + "]}"
NODE_SELECTOR = "{rules: [{type: Allow, to: {nodeSelector: {matchLabels: {a: b}}}}]}"
HOST_PROXY = proxy_at_15("http://proxy.example.com:3128")
NODEPORT_STRICT = ["    rsyncEndpointType: NodePort", *STRICT]


def same_cluster(version: str) -> list[tuple[str, str]]:
    return [SAME_CLUSTER, *at(version, version), NO_CIDRS,
            ("OVNKubernetes\n  namespaces",
             "OVNKubernetes\n    rsyncEndpointType: ClusterIP\n" + STRICT[0] + "\n  namespaces")]


BOUNDARIES = [
    row("egress-policy-unenforced", spec(*at("4.9", plugin="OpenShiftSDN")), spec(*at("4.10", plugin="OpenShiftSDN")),
        id="egress-policy-sdn-4.9-4.10"),
    row("egress-policy-unenforced", spec(*at("3.11", plugin="OpenShiftSDN")), spec(*at("4.10", plugin="OpenShiftSDN")),
        id="egress-policy-sdn-3.11-4.10"),
    row("egress-policy-plugin-unknown", spec(*at("4.9", plugin=None)), spec(*at("4.10", plugin=None)),
        id="egress-policy-plugin-4.9-4.10"),
    row("node-port-range", spec(*at("4.9"), at=15, lines=NODEPORT_STRICT),
        spec(*at("4.10"), at=15, lines=NODEPORT_STRICT), id="end-port-4.9-4.10"),
    row("strict-namespace-by-name", spec(*same_cluster("4.7")), spec(*same_cluster("4.8")), id="clusterip-4.7-4.8"),
    row("dns-port-only", spec(*at("4.7"), at=15, lines=STRICT), spec(*at("4.8"), at=15, lines=STRICT),
        id="dns-4.7-4.8"),
    row("router-label-legacy", spec(*at("4.6", "4.6"), at=15, lines=STRICT),
        spec(*at("4.6", "4.7"), at=15, lines=STRICT), id="router-label-4.6-4.7"),
    row("egress-firewall-limit", firewall(FIFTY, *at("3.11", plugin="OpenShiftSDN")),
        firewall(FIFTY, *at("4.9", plugin="OpenShiftSDN")), id="enp-limit-3.11-4.9"),
    row("egress-firewall-dns-name", firewall("{rules: []}", *at("4.6"), APPS_DOMAIN),
        firewall("{rules: []}", *at("4.7"), APPS_DOMAIN), id="firewall-dns-name-4.6-4.7"),
    row("egress-firewall-proxy-host", firewall("{rules: []}", *at("4.6"), HOST_PROXY),
        firewall("{rules: []}", *at("4.7"), HOST_PROXY), id="firewall-proxy-host-4.6-4.7"),
    row("egress-firewall-rules", firewall(NODE_SELECTOR, *at("4.10")), firewall(NODE_SELECTOR, *at("4.11")),
        id="firewall-node-selector-4.10-4.11"),
    row("openshift-version-newer", spec(*at("4.14", "4.99")), spec(*at("4.14", "4.19")), id="newer-4.99-4.19"),
]


@pytest.mark.parametrize(("rule", "below", "at_boundary"), BOUNDARIES)
def test_capability_row_on_both_sides_of_its_boundary(rule: str, below: str, at_boundary: str, spec_dir: Path) -> None:
    """Below the boundary version the row's rule reports (with the table's severity); from it on, nothing does."""
    found = [p for p in check(below, spec_dir) if p.rule == rule]
    assert found, [p.text() for p in check(below, spec_dir)]
    assert all(p.severity is SEVERITIES[rule] for p in found)
    assert [p.text() for p in check(at_boundary, spec_dir) if p.rule == rule or p.is_error] == []
