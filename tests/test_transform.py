"""Transformer mode as a pure function: a rendered cluster applied to input items (generator/transform.py).

Test design notes:

* One small OVN pair (source 4.13, firewall ``payments/default`` without ``rules:``, target cidrs) is loaded from
  text with ``parse_spec`` and rendered for its source cluster; the items are plain dicts built per test.
* Expected values come from spec §4/§7, not from the renderer: our rule is ``Allow 203.0.113.0/24 TCP 443``,
  written literally here; the controller keys are the ones spec §4's table puts on a non-control source.
* Each decision of the module docstring has a case: merge, insert, already held (before / after a Deny),
  generator (nothing held), missing with others held (error naming them), NetworkPolicy replaced on a
  second pass with its tool annotations kept, function configs and the Kptfile never touched, idempotence.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from generator.mtc.firewall import rules_to_insert
from generator.mtc.network import Environment
from generator.problems import ProblemsError
from generator.render.plan import ClusterRender, render_pair
from generator.spec.load import parse_spec
from generator.spec.model import ClusterPair
from generator.transform import plan_transform

Obj = dict[str, Any]

SPEC = """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata: {name: t}
spec:
  source: {name: src, openshiftVersion: "4.13", networkType: OVNKubernetes}
  target: {name: dst, openshiftVersion: "4.14", networkType: OVNKubernetes, cidrs: [203.0.113.0/24]}
  namespaces:
  - source: payments
    target: payments
    egressFirewall: {name: default}
"""
OURS = {"type": "Allow", "to": {"cidrSelector": "203.0.113.0/24"}, "ports": [{"protocol": "TCP", "port": 443}]}
DENY = {"type": "Deny", "to": {"cidrSelector": "0.0.0.0/0"}}
API = {"type": "Allow", "to": {"cidrSelector": "198.51.100.10/32"}}
INDEX = {"config.kubernetes.io/index": "0", "internal.config.kubernetes.io/id": "7"}


def _pair(text: str = SPEC) -> tuple[ClusterPair, ClusterRender]:
    pair, problems = parse_spec(text, "spec.yaml", Path.cwd())
    assert pair is not None, problems
    render = next(r for r in render_pair(pair, Environment(items_as_base=True), None) if r.cluster.name == "src")
    return pair, render


def _controller(name: str = "migration-controller", **spec: Any) -> Obj:
    return {
        "apiVersion": "migration.openshift.io/v1alpha1",
        "kind": "MigrationController",
        "metadata": {"name": name, "namespace": "openshift-migration", "annotations": dict(INDEX)},
        "spec": {"cluster_name": "host", "migration_ui": True, **spec},
    }


def _firewall(*rules: Obj, name: str = "default", namespace: str = "payments") -> Obj:
    return {
        "apiVersion": "k8s.ovn.org/v1",
        "kind": "EgressFirewall",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"egress": [copy.deepcopy(r) for r in rules]},
    }


UNRELATED = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "payments"}, "data": {}}


def _transform(items: list[Obj]) -> list[Obj]:
    pair, render = _pair()
    return plan_transform(pair, render, items).apply(items)


def test_merges_the_controller_and_inserts_rules_leaving_the_rest() -> None:
    items = [UNRELATED, _controller(), _firewall(API, DENY)]
    out = _transform(items)
    assert out[0] == UNRELATED
    controller = out[1]
    assert controller["spec"]["cluster_name"] == "host", "keys the spec does not set are kept"
    assert controller["spec"]["migration_ui"] is False, "a non-control cluster runs no UI (spec §4)"
    assert controller["spec"]["migration_velero"] is True
    assert controller["metadata"]["annotations"] == INDEX, "tool annotations stay; no sync-options copied"
    assert controller["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "mtc-policygen"}
    assert out[2]["spec"]["egress"] == [OURS, API, DENY]
    added = out[3:]
    assert [o["kind"] for o in added] == ["NetworkPolicy"], "the controller and firewall were patched, not added"
    assert items[2]["spec"]["egress"] == [API, DENY], "the input is not modified"


def test_a_second_pass_adds_nothing() -> None:
    once = _transform([_controller(), _firewall(API, DENY)])
    assert _transform(once) == once


@pytest.mark.parametrize(
    ("existing", "inserted"),
    [
        pytest.param([OURS, DENY], [], id="held-before-deny"),
        pytest.param([API, OURS, DENY], [], id="held-after-another-allow"),
        pytest.param([API, DENY, OURS], [OURS], id="held-after-deny-does-not-count"),
        pytest.param([], [OURS], id="empty-firewall"),
    ],
)
def test_rules_already_held(existing: list[Obj], inserted: list[Obj]) -> None:
    assert rules_to_insert([OURS], existing) == inserted
    out = _transform([_firewall(*existing)])
    assert out[0]["spec"]["egress"] == inserted + existing


def test_generator_mode_when_nothing_is_held_but_the_firewall_must_be() -> None:
    pair, render = _pair()
    with pytest.raises(ProblemsError) as failure:
        plan_transform(pair, render, [])
    (problem,) = failure.value.problems
    assert problem.rule == "krm-firewall-missing"
    assert problem.path == "spec.namespaces[0].egressFirewall"
    assert (problem.file, problem.line) == ("spec.yaml", 10), "points at the declaration in the spec"
    assert "EgressFirewall payments/default" in problem.message
    assert "(EgressFirewall: none)" in problem.message


def test_generator_mode_with_rules_adds_everything() -> None:
    pair, render = _pair(
        SPEC.replace("{name: default}", "{name: default, rules: [{type: Deny, to: {cidrSelector: 0.0.0.0/0}}]}")
    )
    plan = plan_transform(pair, render, [])
    assert plan.edits == ()
    kinds = [o["kind"] for o in plan.added]
    assert kinds == ["MigrationController", "NetworkPolicy", "EgressFirewall"]
    assert plan.added[2]["spec"]["egress"] == [OURS, DENY]
    assert all("config.kubernetes.io/local-config" not in str(o) for o in plan.added)


def test_missing_firewall_names_what_the_items_hold() -> None:
    pair, render = _pair()
    items = [_firewall(DENY, name="default", namespace="other"), _firewall(DENY, name="legacy", namespace="payments")]
    with pytest.raises(ProblemsError) as failure:
        plan_transform(pair, render, items)
    assert "(EgressFirewall: other/default, payments/legacy)" in failure.value.problems[0].message


def test_controller_missing_while_another_is_held_is_an_error() -> None:
    pair, render = _pair()
    with pytest.raises(ProblemsError) as failure:
        plan_transform(pair, render, [_controller(name="mtc"), _firewall(DENY)])
    (problem,) = failure.value.problems
    assert problem.rule == "krm-controller-missing"
    assert problem.path == "spec.source.migrationController"
    assert "openshift-migration/migration-controller" in problem.message
    assert "they hold openshift-migration/mtc" in problem.message


def test_networkpolicy_of_a_previous_pass_is_replaced_keeping_tool_annotations() -> None:
    first = _transform([_firewall(DENY)])
    policy = next(o for o in first if o["kind"] == "NetworkPolicy")
    policy["metadata"]["annotations"] = {"config.kubernetes.io/path": "np.yaml", "team": "x"}
    policy["spec"]["podSelector"] = {}
    again = _transform(first)
    replaced = next(o for o in again if o["kind"] == "NetworkPolicy")
    assert replaced["metadata"]["annotations"] == {"config.kubernetes.io/path": "np.yaml"}
    assert replaced["spec"]["podSelector"] != {}, "our policy is restored"
    assert len(again) == len(first), "replaced in place, not added"


def test_function_configs_and_the_kptfile_are_never_targets() -> None:
    config = {**_firewall(DENY), "metadata": {**_firewall(DENY)["metadata"]}}
    config["metadata"]["annotations"] = {"config.kubernetes.io/function": "exec: {path: x}\n"}
    kptfile = {"apiVersion": "kpt.dev/v1", "kind": "Kptfile", "metadata": {"name": "pkg"}}
    pair, render = _pair()
    with pytest.raises(ProblemsError):
        plan_transform(pair, render, [config, kptfile])


def test_firewall_rules_given_and_held_keeps_the_item_with_a_warning() -> None:
    pair, render = _pair(
        SPEC.replace("{name: default}", "{name: default, rules: [{type: Deny, to: {cidrSelector: 10.0.0.0/8}}]}")
    )
    plan = plan_transform(pair, render, [_firewall(API, DENY)])
    assert plan.apply([_firewall(API, DENY)])[0]["spec"]["egress"] == [OURS, API, DENY]
    assert [p.rule for p in plan.problems] == ["krm-firewall-rules-differ"]
