"""What the rule tests share: a small valid ClusterPair, edits of it, a case, and the files a spec may name.

Test design (yamllint style, one test file per rule family):
- Each family's failing cases are specs written out in full (inline YAML), so the line and column of every expected
  problem can be read off the case. Cases too large to write out (a thousand firewall rules, half a million YAML
  nodes) or that hold bytes a literal cannot show are built from BASE with `spec()`/`firewall()`.
- Every failing case asserts the rule id, the severity, the dotted field path, the exact line and column and a
  substring of the message (and of the suggestion where the hint is the point: "did you mean", quoting).
- Every passing case (tests/mtc/rules/test_registry.py) sets the fields some rule checks and yields no problem at
  all: every rule runs on every spec, so each passing case passes all of them.
- Coverage is checked, not hoped for: every id in `generator.mtc.rules.RULES`, every structural rule of
  `generator.clusterpair.schema` and every loader rule of `generator.clusterpair.yamlsource` and `yamlparse`
  has a failing case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generator.clusterpair.load import parse_spec
from generator.mtc.network import Environment
from generator.mtc.resolve import resolve
from generator.mtc.rules import validate
from generator.problems import Problem, Severity

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
IN_NODE_SELECTOR_BASE = (
    "    networkType: OVNKubernetes\n  target",
    "    networkType: OVNKubernetes\n    base: node-selector\n  target",
)
IN_BASE = ("    networkType: OVNKubernetes\n  target", "    networkType: OVNKubernetes\n    base: base\n  target")


def ovn(version: str) -> tuple[str, str]:
    """The source at `version`, on OVN-Kubernetes."""
    return (
        '"4.12"\n    networkType: OVNKubernetes\n  target',
        f'"{version}"\n    networkType: OVNKubernetes\n  target',
    )


def at(source: str, target: str = "4.14", plugin: str | None = "OVNKubernetes") -> list[tuple[str, str]]:
    """BASE with the source at `source` on `plugin` (None: not given) and the target at `target`."""
    line = f"\n    networkType: {plugin}" if plugin else ""
    return [
        ('"4.14"', f'"{target}"'),
        ('"4.12"\n    networkType: OVNKubernetes\n  target', f'"{source}"{line}\n  target'),
    ]


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


CONTROLLER = (
    "apiVersion: migration.openshift.io/v1alpha1\nkind: MigrationController\n"
    "metadata: {name: migration-controller, namespace: openshift-migration}\n"
)
FIREWALL = (
    "apiVersion: k8s.ovn.org/v1\nkind: EgressFirewall\nmetadata: {name: default, namespace: app1}\nspec: {egress: []}\n"
)


def write_base(folder: Path, kustomization: str, **files: str) -> None:
    folder.mkdir(parents=True)
    (folder / "kustomization.yaml").write_text(kustomization)
    for name, text in files.items():
        (folder / name.replace("_", ".")).write_text(text)


def make_spec_dir(tmp_path: Path) -> Path:
    """A folder for `base` paths (spec §4.2).

    `base/` holds the MigrationController and app1's EgressFirewall, in a YAML stream; `empty/` is no kustomize
    folder; `no-controller/` holds only the firewall; `broken/` lists a file that does not exist; `remote/`
    lists a remote resource besides the controller; `node-selector/` holds a firewall with a nodeSelector rule.
    """
    write_base(tmp_path / "base", "resources: [objects.yaml]\n", objects_yaml=CONTROLLER + "---\n" + FIREWALL)
    (tmp_path / "empty").mkdir()
    write_base(tmp_path / "no-controller", "resources: [fw.yaml]\n", fw_yaml=FIREWALL)
    write_base(tmp_path / "broken", "resources: [mc.yaml, missing.yaml]\n", mc_yaml=CONTROLLER)
    write_base(
        tmp_path / "remote", "resources: [mc.yaml, https://github.com/example/config//fw?ref=v1]\n", mc_yaml=CONTROLLER
    )
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
    write_base(
        tmp_path / "legacy-no-registry",
        "resources: [operator.yml, controller.yml]\n",
        controller_yml=CONTROLLER,
        operator_yml=(tmp_path / "legacy" / "operator.yml").read_text().replace("REGISTRY", "PROJECT"),
    )
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


def assert_fails(c: Case, spec_dir: Path) -> None:
    """The case's rule reports at the case's place, with its severity, message and hint."""
    problems = check(c.text, spec_dir)
    found = [p for p in problems if p.rule == c.rule and c.message in p.message]
    assert found, "\n".join(p.text() for p in problems)
    p = found[0]
    assert (p.severity, p.path, p.line, p.column) == (c.severity, c.path, c.line, c.col), p.text()
    assert c.hint in p.suggestion
    assert p.file == "spec.yaml"
