"""Tests of the test oracles themselves (``tests/oracles``).

Test design notes:

* An oracle that never fails proves nothing, so every oracle gets at least one known-good input that
  must pass and known-bad inputs that must fail *for the stated reason*: each bad case names the
  error fragment (JSON path or message) it expects, so a case that fails for another reason is caught.
* Bad cases are one small mutation of a good object, listed with ``pytest.param(..., id=...)``.
* The nca cases model a DVM pair in one cluster: a source namespace with rsync client pods, a target
  namespace with the rsync server, the router namespace labelled both ways, DNS, and bystander
  namespaces. Default-deny is applied to the source and target only, like a real cluster where
  other namespaces are not ours; bystanders are what "nothing else gets in" is checked against.
* The empty-label-value case documents an nca 2.1.0 defect (a namespace lacking a label key is read as
  having value ""): it asserts the raw defect and that the harness's rewrite removes it, so an nca
  upgrade that fixes it shows up as a failing test here rather than as silently changed semantics.
* Tests that run real binaries are marked ``e2e``; a missing binary is an error, not a skip, so CI
  cannot go green without the oracles having run.
"""

from __future__ import annotations

import copy
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped,unused-ignore]
import kubernetes_validate  # type: ignore[import-untyped,unused-ignore]
import pytest
import yaml

from tests.oracles import (
    K8S_VERSION,
    ToolError,
    kubectl_bin,
    kubectl_kustomize,
    kustomize_bin,
    kustomize_build,
    nca,
    validate_firewall,
    validate_firewall_patch,
    validate_networkpolicies,
)
from tests.oracles.firewall import SCHEMA_DIR
from tests.oracles.tools import run_tool

Obj = dict[str, Any]
Mutation = Callable[[Obj], object]

# --------------------------------------------------------------------------- firewall schemas

ENP: Obj = {
    "apiVersion": "network.openshift.io/v1",
    "kind": "EgressNetworkPolicy",
    "metadata": {
        "name": "test-egress-policy",
        "namespace": "db",
        "labels": {"app.kubernetes.io/managed-by": "mtc-policygen"},
    },
    "spec": {
        "egress": [
            {"type": "Allow", "to": {"cidrSelector": "203.0.113.0/24"}},
            {"type": "Allow", "to": {"dnsName": "dvm-db.apps.example.com"}},
            {"type": "Deny", "to": {"cidrSelector": "0.0.0.0/0"}},
        ]
    },
}
EF: Obj = {
    "apiVersion": "k8s.ovn.org/v1",
    "kind": "EgressFirewall",
    "metadata": {
        "name": "default",
        "namespace": "db",
        "annotations": {"config.kubernetes.io/origin": "generated"},
    },
    "spec": {
        "egress": [
            {
                "type": "Allow",
                "to": {"cidrSelector": "203.0.113.0/24"},
                "ports": [{"protocol": "TCP", "port": 443}],
            },
            {"type": "Allow", "to": {"dnsName": "*.apps.example.com"}},
            {"type": "Allow", "to": {"cidrSelector": "2001:db8::/32"}},
            {
                "type": "Allow",
                "to": {"nodeSelector": {"matchLabels": {"node-role.kubernetes.io/worker": ""}}},
            },
            {"type": "Deny", "to": {"cidrSelector": "0.0.0.0/0"}},
        ]
    },
}


def _set(path: str, value: object) -> Mutation:
    """A mutation setting a dotted path (integers index lists) to ``value``."""
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]

    def mutate(obj: Obj) -> None:
        node: Any = obj
        for key in parents:
            node = node[key]
        node[last] = value

    return mutate


def _mutated(obj: Obj, mutation: Mutation) -> Obj:
    clone = copy.deepcopy(obj)
    mutation(clone)
    return clone


def test_schema_files_are_valid_draft_2020_12() -> None:
    files = sorted(SCHEMA_DIR.glob("*.json"))
    assert {f.name for f in files} >= {
        "egressnetworkpolicy.json",
        "egressfirewall.json",
        "firewall-patch.json",
    }
    for path in files:
        jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("obj", [pytest.param(ENP, id="EgressNetworkPolicy"), pytest.param(EF, id="EgressFirewall")])
def test_valid_firewalls_pass(obj: Obj) -> None:
    assert validate_firewall(obj) == []


@pytest.mark.parametrize(
    ("base", "mutation", "expected"),
    [
        pytest.param(
            ENP,
            _set("spec.egress.0.type", "Deni"),
            "$.spec.egress[0].type: 'Deni' is not one of",
            id="enp-type-typo",
        ),
        pytest.param(
            ENP,
            _set("spec.egress.0.type", "Allowed"),
            "$.spec.egress[0].type",
            id="enp-type-that-the-crd-regex-would-accept",
        ),
        pytest.param(
            ENP,
            _set("spec.egress.0.to", {"cidrSelector": "2001:db8::/32"}),
            "$.spec.egress[0].to.cidrSelector",
            id="enp-ipv6-cidr",
        ),
        pytest.param(
            ENP,
            _set("spec.egress.0.to", {"cidrSelector": "203.0.113.0/33"}),
            "$.spec.egress[0].to.cidrSelector",
            id="enp-prefix-too-long",
        ),
        pytest.param(
            ENP,
            _set("spec.egress.1.to", {"dnsName": "*.apps.example.com"}),
            "$.spec.egress[1].to.dnsName",
            id="enp-wildcard-dns",
        ),
        pytest.param(
            ENP,
            _set("spec.egress.0.ports", [{"protocol": "TCP", "port": 443}]),
            "'ports' was unexpected",
            id="enp-ports",
        ),
        pytest.param(
            ENP,
            _set("spec.egress.0.to", {"cidrSelector": "10.0.0.0/8", "dnsName": "a.b"}),
            "has too many properties",
            id="enp-cidr-and-dns",
        ),
        pytest.param(ENP, _set("spec.egress.0.to", {}), "$.spec.egress[0].to", id="enp-empty-to"),
        pytest.param(ENP, _set("spec", {}), "'egress' is a required property", id="enp-no-egress"),
        pytest.param(ENP, _set("apiVersion", "k8s.ovn.org/v1"), "$.apiVersion", id="enp-wrong-group"),
        pytest.param(ENP, _set("metadata.namespce", "db"), "'namespce' was unexpected", id="metadata-typo"),
        pytest.param(ENP, _set("metadata.labels.app", "has space"), "$.metadata.labels.app", id="bad-label-value"),
        pytest.param(
            EF,
            _set("metadata.name", "foo"),
            "$.metadata.name: 'foo' does not match '^default$'",
            id="ef-name-not-default",
        ),
        pytest.param(EF, _set("spec.egress.0.type", "Deni"), "$.spec.egress[0].type", id="ef-type-typo"),
        pytest.param(EF, _set("spec.egress.0.ports.0.port", 0), "less than the minimum of 1", id="ef-port-0"),
        pytest.param(EF, _set("spec.egress.0.ports.0.port", 65536), "greater than the maximum", id="ef-port-65536"),
        pytest.param(
            EF,
            _set("spec.egress.0.ports.0.protocol", "tcp"),
            "$.spec.egress[0].ports[0].protocol",
            id="ef-protocol-lowercase",
        ),
        pytest.param(
            EF,
            _set("spec.egress.0.ports.0", {"port": 443}),
            "'protocol' is a required property",
            id="ef-port-without-protocol",
        ),
        pytest.param(
            EF,
            _set("spec.egress.0.to.cidrSelector", "203.0.113.0"),
            "is not a 'cidr'",
            id="ef-cidr-without-prefix",
        ),
        pytest.param(
            EF,
            _set("spec.egress.0.to.cidrSelector", "203.0.113.300/24"),
            "is not a 'cidr'",
            id="ef-cidr-bad-octet",
        ),
        pytest.param(
            EF,
            _set("spec.egress.1.to", {"dnsName": "a.*.example.com"}),
            "$.spec.egress[1].to.dnsName",
            id="ef-wildcard-not-leading",
        ),
        pytest.param(
            EF,
            _set("spec.egress.3.to.nodeSelector", {"matchLabel": {"a": "b"}}),
            "'matchLabel' was unexpected",
            id="ef-node-selector-typo",
        ),
        pytest.param(
            EF,
            _set("spec.egress.0.to", {"cidrSelector": "10.0.0.0/8", "dnsName": "a.b"}),
            "has too many properties",
            id="ef-cidr-and-dns",
        ),
        pytest.param(EF, _set("kind", "EgressNetworkPolicy"), "$.apiVersion", id="ef-kind-swapped"),
    ],
)
def test_invalid_firewalls_fail(base: Obj, mutation: Mutation, expected: str) -> None:
    errors = validate_firewall(_mutated(base, mutation))
    assert any(expected in e for e in errors), errors


def test_unknown_kind_is_an_error() -> None:
    assert validate_firewall({"kind": "NetworkPolicy"}) != []
    assert validate_firewall([]) != []


ENP_OP: Obj = {
    "op": "add",
    "path": "/spec/egress/0",
    "value": {"type": "Allow", "to": {"cidrSelector": "203.0.113.0/24"}},
}
EF_OP: Obj = {
    "op": "add",
    "path": "/spec/egress/1",
    "value": {
        "type": "Allow",
        "to": {"dnsName": "dvm-db.apps.example.com"},
        "ports": [{"protocol": "TCP", "port": 443}],
    },
}


@pytest.mark.parametrize(
    ("ops", "kind"),
    [
        pytest.param([ENP_OP], "EgressNetworkPolicy", id="enp"),
        pytest.param([EF_OP, {**EF_OP, "path": "/spec/egress/0"}], "EgressFirewall", id="ef-two-rules"),
    ],
)
def test_valid_patches_pass(ops: list[Obj], kind: str) -> None:
    assert validate_firewall_patch(ops, kind) == []


@pytest.mark.parametrize(
    ("ops", "kind", "expected"),
    [
        pytest.param([], "EgressFirewall", "should be non-empty", id="no-ops"),
        pytest.param([{**EF_OP, "op": "replace"}], "EgressFirewall", "$[0].op", id="replace"),
        pytest.param([{"op": "remove", "path": "/spec/egress/0"}], "EgressFirewall", "$[0]", id="remove"),
        pytest.param([{**EF_OP, "path": "/spec/egress"}], "EgressFirewall", "$[0].path", id="whole-list"),
        pytest.param([{**EF_OP, "path": "/spec/egress/-"}], "EgressFirewall", "$[0].path", id="append-dash"),
        pytest.param([{**EF_OP, "path": "/spec/egress/01"}], "EgressFirewall", "$[0].path", id="leading-zero"),
        pytest.param([EF_OP], "EgressNetworkPolicy", "'ports' was unexpected", id="ef-rule-in-enp-patch"),
        pytest.param(
            [{**ENP_OP, "value": {"type": "Deni", "to": {"cidrSelector": "10.0.0.0/8"}}}],
            "EgressNetworkPolicy",
            "$[0].value.type",
            id="rule-type-typo",
        ),
        pytest.param([ENP_OP], "NetworkPolicy", "not one of", id="unknown-kind"),
    ],
)
def test_invalid_patches_fail(ops: list[Obj], kind: str, expected: str) -> None:
    errors = validate_firewall_patch(ops, kind)
    assert any(expected in e for e in errors), errors


# --------------------------------------------------------------------------- NetworkPolicy schema

NP: Obj = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "allow-dvm-rsync-client-egress", "namespace": "app1"},
    "spec": {
        "podSelector": {"matchLabels": {"owner": "directvolumemigration"}},
        "policyTypes": ["Egress"],
        "egress": [
            {
                "ports": [{"protocol": "TCP", "port": 30000, "endPort": 32767}],
                "to": [{"ipBlock": {"cidr": "203.0.113.0/24", "except": ["203.0.113.128/25"]}}],
            },
            {
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 5353}],
                "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "openshift-dns"}}}],
            },
        ],
    },
}


def test_pinned_kubernetes_schema_version_is_bundled() -> None:
    # validate() silently falls back to an older bundled minor; this proves the pin is used as is.
    assert kubernetes_validate.validate(NP, K8S_VERSION, strict=True) == K8S_VERSION


def test_valid_networkpolicy_passes() -> None:
    assert validate_networkpolicies([NP]) == []


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        pytest.param(_set("spec.egress.0.ports.0.protocl", "TCP"), "'protocl' was unexpected", id="key-typo"),
        pytest.param(_set("spec.policyTypes", "Egress"), "spec.policyTypes", id="policytypes-not-list"),
        pytest.param(_set("spec.policyTypes", ["Egres"]), "'Egres' is not Ingress or Egress", id="policytype-typo"),
        pytest.param(_set("spec.egress.0.ports.0.protocol", "TPC"), "'TPC' is not one of", id="protocol-typo"),
        pytest.param(_set("spec.egress.1.ports.0.port", 70000), "outside 1-65535", id="port-too-big"),
        pytest.param(_set("spec.egress.0.ports.0.endPort", 29999), "endPort", id="endport-below-port"),
        pytest.param(_set("spec.egress.0.ports.0.port", "rsync"), "needs a numeric port", id="endport-named-port"),
        pytest.param(
            _set("spec.egress.0.to.0.ipBlock.except", ["198.51.100.0/24"]),
            "is not inside",
            id="except-outside-cidr",
        ),
        pytest.param(_set("spec.egress.0.to.0.ipBlock.cidr", "203.0.113.0"), "no /prefix", id="cidr-no-prefix"),
        pytest.param(_set("spec.egress.0.to.0.podSelector", {}), "cannot be combined", id="ipblock-with-selector"),
        pytest.param(_set("metadata.name", "Allow_DVM"), "metadata.name", id="bad-name"),
        pytest.param(_set("kind", "NetworkPolicies"), "not a networking.k8s.io/v1 NetworkPolicy", id="wrong-kind"),
    ],
)
def test_invalid_networkpolicies_fail(mutation: Mutation, expected: str) -> None:
    errors = validate_networkpolicies([NP, _mutated(NP, mutation)])
    assert errors, "the oracle accepted a broken policy"
    assert all(e.startswith("[1] app1/") for e in errors), errors  # the good one stays clean
    assert any(expected in e for e in errors), errors


# --------------------------------------------------------------------------- nca reachability

SRC, DST = "app1", "app1-migrated"
CLIENT, SERVER = nca.Pod(SRC, "rsync-abcde"), nca.Pod(DST, "rsync-server")
APP = nca.Pod(SRC, "web")
ROUTER, DNS = nca.Pod("openshift-ingress", "router-default"), nca.Pod("openshift-dns", "dns-default")
UNLABELLED = nca.Pod("bystander", "curl")  # namespace without the router label key
DECOY = nca.Pod("decoy", "curl")  # namespace with the router label key set to a non-empty value
DENY_IN = [SRC, DST]
INGRESS_EMPTY = {"policy-group.network.openshift.io/ingress": ""}
INGRESS_LEGACY = {"network.openshift.io/policy-group": "ingress"}

RESOURCES: list[Obj] = [
    nca.namespace(SRC),
    nca.namespace(DST),
    nca.namespace("openshift-ingress", {**INGRESS_EMPTY, **INGRESS_LEGACY}),
    nca.namespace("openshift-dns"),
    nca.namespace("bystander"),
    nca.namespace("decoy", {"policy-group.network.openshift.io/ingress": "no"}),
    nca.pod(SRC, CLIENT.name, {"owner": "directvolumemigration", "app": "directvolumemigration-rsync-transfer"}),
    nca.pod(SRC, APP.name, {"app": "web"}),
    nca.pod(DST, SERVER.name, {"owner": "directvolumemigration", "purpose": "rsync"}),
    nca.pod(
        ROUTER.namespace,
        ROUTER.name,
        {"ingresscontroller.operator.openshift.io/deployment-ingresscontroller": "default"},
    ),
    nca.pod(DNS.namespace, DNS.name, {"dns.operator.openshift.io/daemonset-dns": "default"}),
    nca.pod(UNLABELLED.namespace, UNLABELLED.name),
    nca.pod(DECOY.namespace, DECOY.name),
]


def _np(name: str, namespace: str, spec: Obj) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def _client_egress(*rules: Obj) -> Obj:
    return _np(
        "client-egress",
        SRC,
        {
            "podSelector": {"matchLabels": {"owner": "directvolumemigration"}},
            "policyTypes": ["Egress"],
            "egress": list(rules),
        },
    )


def _server_ingress(namespace_labels: dict[str, str]) -> Obj:
    return _np(
        "server-ingress",
        DST,
        {
            "podSelector": {"matchLabels": {"owner": "directvolumemigration", "purpose": "rsync"}},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "ports": [{"protocol": "TCP", "port": 6443}],
                    "from": [{"namespaceSelector": {"matchLabels": namespace_labels}}],
                }
            ],
        },
    )


ROUTE_443 = {"ports": [{"protocol": "TCP", "port": 443}], "to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}]}
NODEPORTS = {
    "ports": [{"protocol": "TCP", "port": 30000, "endPort": 32767}],
    "to": [{"ipBlock": {"cidr": "198.51.100.0/24", "except": ["198.51.100.128/25"]}}],
}
DNS_RULE = {
    "ports": [{"protocol": p, "port": n} for n in (53, 5353) for p in ("UDP", "TCP")],
    "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "openshift-dns"}}}],
}
STRICT = [_client_egress(ROUTE_443, NODEPORTS, DNS_RULE), _server_ingress(INGRESS_EMPTY)]
C = nca.Conn


@pytest.mark.e2e
def test_nca_policy_allowing_443_permits_443_and_forbids_22() -> None:
    policies = [_client_egress(ROUTE_443)]
    assert nca.permits(policies, RESOURCES, [C(CLIENT, "203.0.113.10", 443)], deny_in=DENY_IN)
    assert not nca.permits(policies, RESOURCES, [C(CLIENT, "203.0.113.10", 22)], deny_in=DENY_IN)
    assert nca.forbids(policies, RESOURCES, [C(CLIENT, "203.0.113.10", 22)], deny_in=DENY_IN)
    assert not nca.forbids(policies, RESOURCES, [C(CLIENT, "203.0.113.10", 443)], deny_in=DENY_IN)


@pytest.mark.e2e
def test_nca_ip_blocks_port_ranges_and_protocols() -> None:
    permitted = [
        C(CLIENT, "198.51.100.0/25", 30000, end_port=32767),  # the whole range to the whole block
        C(CLIENT, "203.0.113.0/24", 443),
        C(CLIENT, DNS, 53, "UDP"),
        C(CLIENT, DNS, 5353, "TCP"),
        C(ROUTER, SERVER, 6443),
    ]
    assert nca.permits(STRICT, RESOURCES, permitted, deny_in=DENY_IN)
    # One call checks them all (each nca call costs ~0.5 s); the report names any that got through.
    forbidden = [
        C(CLIENT, "198.51.100.7", 29999),
        C(CLIENT, "198.51.100.7", 32768),
        C(CLIENT, "198.51.100.7", 30000, "UDP"),
        C(CLIENT, "198.51.100.200", 30000),  # inside `except`
        C(CLIENT, "192.0.2.1", 443),
        C(CLIENT, DNS, 54, "UDP"),
        C(APP, "203.0.113.10", 443),  # not an rsync pod
        C(CLIENT, SERVER, 6443),  # the server only admits the router namespace
        C(ROUTER, SERVER, 2222),  # rsyncd itself is not exposed
    ]
    assert nca.forbids(STRICT, RESOURCES, forbidden, deny_in=DENY_IN)
    # ...and a single permitted connection among them makes the whole check fail.
    assert not nca.forbids(STRICT, RESOURCES, [*forbidden, C(ROUTER, SERVER, 6443)], deny_in=DENY_IN)


@pytest.mark.e2e
def test_nca_exactly_fails_when_policies_allow_more() -> None:
    allowed = [
        C(CLIENT, "203.0.113.0/24", 443),
        C(CLIENT, "198.51.100.0/25", 30000, end_port=32767),
        *(C(CLIENT, DNS, n, p) for n in (53, 5353) for p in ("UDP", "TCP")),
        C(ROUTER, SERVER, 6443),
    ]
    assert nca.exactly(STRICT, RESOURCES, allowed, deny_in=DENY_IN)
    verdict = nca.exactly(STRICT, RESOURCES, allowed[1:], deny_in=DENY_IN)
    assert not verdict
    assert "203.0.113.0/24" in verdict.report or "203.0.113.0-203.0.113.255" in verdict.report


@pytest.mark.e2e
def test_nca_connectivity_report_lists_pod_level_connections() -> None:
    lines = nca.connectivity(STRICT, RESOURCES, deny_in=DENY_IN)
    assert f"{CLIENT} => 203.0.113.0-203.0.113.255 : {{protocols:TCP,dst_ports:443}}" in lines
    assert f"{ROUTER} => {SERVER} : {{protocols:TCP,dst_ports:6443}}" in lines
    assert not [line for line in lines if line.startswith(f"{APP} ")]


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("namespace_labels", "fix", "bystander_reaches_server"),
    [
        # The defect: nca reads a missing namespace label as "", so {key: ""} also selects `bystander`.
        pytest.param(INGRESS_EMPTY, False, True, id="empty-value-raw-nca-overmatches"),
        pytest.param(INGRESS_EMPTY, True, False, id="empty-value-with-exists-rewrite"),
        pytest.param(INGRESS_LEGACY, False, False, id="legacy-label-read-correctly"),
    ],
)
def test_nca_empty_namespace_label_value_caveat(
    namespace_labels: dict[str, str], fix: bool, bystander_reaches_server: bool
) -> None:
    policies = [_server_ingress(namespace_labels)]
    kwargs: dict[str, Any] = {"deny_in": DENY_IN, "fix_empty_values": fix}
    assert nca.permits(policies, RESOURCES, [C(ROUTER, SERVER, 6443)], **kwargs)
    # A namespace that has the key with another value is never matched: only a *missing* key misreads.
    assert nca.forbids(policies, RESOURCES, [C(DECOY, SERVER, 6443)], **kwargs)
    verdict = nca.forbids(policies, RESOURCES, [C(UNLABELLED, SERVER, 6443)], **kwargs)
    assert bool(verdict) is not bystander_reaches_server, verdict


def test_fix_empty_namespace_values_rewrite() -> None:
    policy = _server_ingress({**INGRESS_EMPTY, "team": "a"})
    fixed = nca.fix_empty_namespace_values(policy)
    selector = fixed["spec"]["ingress"][0]["from"][0]["namespaceSelector"]
    assert selector["matchLabels"] == {**INGRESS_EMPTY, "team": "a"}
    assert selector["matchExpressions"] == [{"key": "policy-group.network.openshift.io/ingress", "operator": "Exists"}]
    assert "matchExpressions" not in policy["spec"]["ingress"][0]["from"][0]["namespaceSelector"]  # a copy
    assert nca.fix_empty_namespace_values(_server_ingress(INGRESS_LEGACY)) == _server_ingress(INGRESS_LEGACY)
    not_in = _server_ingress({})
    not_in["spec"]["ingress"][0]["from"][0]["namespaceSelector"] = {
        "matchExpressions": [{"key": "k", "operator": "NotIn", "values": [""]}]
    }
    with pytest.raises(ValueError, match="NotIn"):
        nca.fix_empty_namespace_values(not_in)


@pytest.mark.parametrize(
    ("policies", "conns", "match"),
    [
        pytest.param(
            [_np("p", "ghost", {"podSelector": {}})],
            [C(CLIENT, "192.0.2.1", 1)],
            "namespace not in resources",
            id="policy-in-unknown-namespace",
        ),
        pytest.param([], [C(nca.Pod(SRC, "nope"), "192.0.2.1", 1)], "no such pod", id="unknown-pod"),
        pytest.param([], [C("192.0.2.1", "192.0.2.2", 1)], "at least one end must be a Pod", id="no-pod-end"),
        pytest.param([], [], "no connections", id="nothing-to-check"),
    ],
)
def test_nca_refuses_input_it_would_answer_vacuously(policies: list[Obj], conns: list[nca.Conn], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        nca.permits(policies, RESOURCES, conns)


@pytest.mark.e2e
def test_nca_errors_are_raised_not_swallowed() -> None:
    broken = _client_egress(ROUTE_443)
    broken["spec"]["egres"] = broken["spec"].pop("egress")
    with pytest.raises(nca.NcaError, match="egres"):
        nca.permits([broken], RESOURCES, [C(CLIENT, "203.0.113.10", 443)])


# --------------------------------------------------------------------------- kustomize / kubectl


@pytest.mark.e2e
def test_kustomize_and_kubectl_build_identically(tmp_path: Path) -> None:
    firewall = {**EF, "spec": {"egress": [{"type": "Deny", "to": {"cidrSelector": "0.0.0.0/0"}}]}}
    ops = [{"op": "add", "path": "/spec/egress/0", "value": EF["spec"]["egress"][0]}]
    assert validate_firewall_patch(ops, "EgressFirewall") == []
    (tmp_path / "firewall.yaml").write_text(yaml.safe_dump(firewall), encoding="utf-8")
    (tmp_path / "insert-rules.yaml").write_text(yaml.safe_dump(ops), encoding="utf-8")
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": ["firewall.yaml"],
                "patches": [{"path": "insert-rules.yaml", "target": {"kind": "EgressFirewall", "name": "default"}}],
            }
        ),
        encoding="utf-8",
    )

    standalone, embedded = kustomize_build(tmp_path), kubectl_kustomize(tmp_path)

    assert standalone == embedded
    [built] = list(yaml.safe_load_all(standalone))
    assert validate_firewall(built) == []
    assert [r["type"] for r in built["spec"]["egress"]] == ["Allow", "Deny"]


@pytest.mark.e2e
@pytest.mark.parametrize(
    "build", [pytest.param(kustomize_build, id="kustomize"), pytest.param(kubectl_kustomize, id="kubectl")]
)
def test_build_failure_raises_with_stderr(tmp_path: Path, build: Callable[..., str]) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [missing.yaml]\n", encoding="utf-8")
    with pytest.raises(ToolError, match=r"missing\.yaml"):
        build(tmp_path)


@pytest.mark.e2e
def test_kubectl_embeds_kustomize_v5() -> None:
    version = json.loads(run_tool([kubectl_bin(), "version", "--client", "-o", "json"]))["kustomizeVersion"]
    assert version.startswith("v5.")


def _fake_kubectl(tmp_path: Path, kustomize_version: str) -> Path:
    script = tmp_path / "kubectl"
    script.write_text(f'#!/bin/sh\necho \'{{"kustomizeVersion": "{kustomize_version}"}}\'\n', encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.mark.e2e
def test_explicit_env_vars_are_final(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = kustomize_bin()
    monkeypatch.setenv("MTC_POLICYGEN_KUSTOMIZE", real)
    assert kustomize_bin() == real
    monkeypatch.setenv("MTC_POLICYGEN_KUSTOMIZE", os.fspath(tmp_path / "no-such-kustomize"))
    with pytest.raises(ToolError, match="MTC_POLICYGEN_KUSTOMIZE"):
        kustomize_bin()
    monkeypatch.setenv("MTC_POLICYGEN_KUBECTL", os.fspath(_fake_kubectl(tmp_path, "v4.5.7")))
    with pytest.raises(ToolError, match=r"v4\.5\.7, need v5"):
        kubectl_bin()
