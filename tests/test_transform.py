"""Transformer mode as a pure function: a rendered cluster applied to input items (generator/transform.py).

Test design notes:

* One small OVN pair (source 4.13, firewall ``payments/default`` without ``rules:``, target cidrs) is loaded from
  text with ``parse_spec`` and rendered for its source cluster; the items are plain dicts built per test.
* Expected values come from spec §4/§7, not from the renderer: our rule is ``Allow 203.0.113.0/24 TCP 443``,
  written literally here; the controller keys are the ones spec §4's table puts on a non-control source.
* Each decision of the module docstring has a case: merge, insert, already held (before / after a Deny),
  generator (nothing held), missing with others held (error naming them), NetworkPolicy replaced on a
  second pass with its tool annotations kept, function configs and the Kptfile never touched, idempotence.
* spec §8 (``install``): on a modern source the held controller gets the sync wave ``0`` and
  ``SkipDryRunOnMissingResource=true`` added to the sync options it already has (kept, in order, each once);
  on a legacy 3.11 source with a mirror mapping (written to ``tmp_path``) the held ``migration-operator``
  Deployment gets its images by mirror@digest and env REGISTRY set to the mirror host, other env entries and
  containers without REGISTRY untouched; a Deployment already rewritten is left alone (second pass); a
  missing Deployment is an error naming the Deployments held.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from generator.clusterpair.load import parse_spec
from generator.clusterpair.model import ClusterPair
from generator.mtc.firewall import rules_to_insert
from generator.mtc.network import Environment
from generator.mtc.resolve import resolve
from generator.problems import ProblemsError
from generator.render.plan import ClusterRender, render_pair
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


def _pair(text: str = SPEC, spec_dir: Path | None = None) -> tuple[ClusterPair, ClusterRender]:
    pair, problems = parse_spec(text, "spec.yaml", spec_dir or Path.cwd())
    assert pair is not None, problems
    renders = render_pair(resolve(pair, Environment(items_as_base=True)), None)
    render = next(r for r in renders if r.cluster.name == "src")
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
    keep = {"argocd.argoproj.io/sync-options": "Prune=false,Delete=false"}
    assert controller["metadata"]["annotations"] == {**INDEX, **keep}, "tool annotations stay; only Prune/Delete=false"
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
    # the tool's annotation kept, ours restored (the record of the opening), the foreign one dropped
    assert replaced["metadata"]["annotations"] == {"config.kubernetes.io/path": "np.yaml", "mtc-policygen.io/pair": "t"}
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


# --------------------------------------------------------------------------- spec §8: install

WAVE = "argocd.argoproj.io/sync-wave"
OPTIONS = "argocd.argoproj.io/sync-options"
SKIP = "SkipDryRunOnMissingResource=true"
KEEP = "Prune=false,Delete=false"
INSTALL_SPEC = SPEC.replace("spec:\n", "spec:\n  install: {}\n", 1)


@pytest.mark.parametrize(
    ("held", "merged"),
    [
        pytest.param(None, f"{KEEP},{SKIP}", id="no-options"),
        pytest.param(
            "ServerSideApply=true, Prune=false", f"ServerSideApply=true,Prune=false,Delete=false,{SKIP}", id="kept"
        ),
        pytest.param(f"{SKIP},Validate=false,Validate=false", f"{SKIP},Validate=false,{KEEP}", id="once-each"),
    ],
)
def test_install_merges_the_operator_ordering_into_the_held_controller(held: str | None, merged: str) -> None:
    pair, render = _pair(INSTALL_SPEC)
    controller = _controller()
    if held is not None:
        controller["metadata"]["annotations"][OPTIONS] = held
    controller["metadata"]["annotations"][WAVE] = "5"
    out = plan_transform(pair, render, [controller, _firewall(DENY)]).apply([controller, _firewall(DENY)])
    annotations = out[0]["metadata"]["annotations"]
    assert annotations == {**INDEX, WAVE: "0", OPTIONS: merged}, "after the operator's wave -1; tool ones kept"
    again = plan_transform(pair, render, out).apply(out)
    assert again == out, "idempotent"


def test_without_install_only_prune_and_delete_false_are_merged() -> None:
    """Argo CD before 3.4 ignores Application-level Prune/Delete=false: the held controller carries them itself."""
    out = _transform([_controller(), _firewall(DENY)])
    assert out[0]["metadata"]["annotations"] == {**INDEX, OPTIONS: KEEP}


LEGACY_IMAGE = "registry.redhat.io/rhmtc/openshift-migration-legacy-rhel8-operator"
HELPER_IMAGE = "registry.redhat.io/rhmtc/openshift-migration-rhel8-operator"
DIGEST = "sha256:" + "a" * 64
HELPER_DIGEST = "sha256:" + "b" * 64
MIRROR = "mirror.example.com:5000"
MAPPING = (
    f"{LEGACY_IMAGE}@{DIGEST}={MIRROR}/rhmtc/legacy-operator:1\n"
    f"{HELPER_IMAGE}@{HELPER_DIGEST}={MIRROR}/rhmtc/helper:2\n"
)
LEGACY_SPEC = """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata: {name: t}
spec:
  install: {mirror: {mapping: mapping.txt}}
  source: {name: src, openshiftVersion: "3.11", base: base}
  target: {name: dst, openshiftVersion: "4.14", networkType: OVNKubernetes, cidrs: [203.0.113.0/24]}
  namespaces: [payments]
"""


def _operator(name: str = "migration-operator") -> Obj:
    env = [{"name": "REGISTRY", "value": "registry.redhat.io"}, {"name": "PROJECT", "value": "rhmtc"}]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "openshift-migration"},
        "spec": {
            "template": {
                "spec": {
                    "initContainers": [{"name": "init", "image": f"{HELPER_IMAGE}:v1.7"}],
                    "containers": [
                        {"name": "operator", "image": f"{LEGACY_IMAGE}:v1.7", "env": env},
                        {"name": "side", "image": f"{HELPER_IMAGE}:v1.7", "env": [{"name": "X", "value": "1"}]},
                    ],
                }
            }
        },
    }


def _legacy(tmp_path: Path) -> tuple[ClusterPair, ClusterRender]:
    (tmp_path / "mapping.txt").write_text(MAPPING, encoding="utf-8")
    return _pair(LEGACY_SPEC, tmp_path)


def test_legacy_mirror_rewrites_the_held_operator_deployment(tmp_path: Path) -> None:
    pair, render = _legacy(tmp_path)
    items = [_controller(), _operator(), _operator(name="other")]
    out = plan_transform(pair, render, items).apply(items)
    spec = out[1]["spec"]["template"]["spec"]
    assert spec["initContainers"] == [{"name": "init", "image": f"{MIRROR}/rhmtc/helper@{HELPER_DIGEST}"}]
    operator, side = spec["containers"]
    assert operator["image"] == f"{MIRROR}/rhmtc/legacy-operator@{DIGEST}"
    assert operator["env"] == [{"name": "REGISTRY", "value": MIRROR}, {"name": "PROJECT", "value": "rhmtc"}]
    assert side == {
        "name": "side",
        "image": f"{MIRROR}/rhmtc/helper@{HELPER_DIGEST}",
        "env": [{"name": "X", "value": "1"}],
    }
    assert out[2] == _operator(name="other"), "only migration-operator is rewritten"
    assert items[1] == _operator(), "the input is not modified"
    second = plan_transform(pair, render, out)
    assert not any(e.index == 1 for e in second.edits), "a second pass changes nothing"
    assert second.apply(out) == out


def test_legacy_mirror_without_the_operator_deployment_names_what_is_held(tmp_path: Path) -> None:
    pair, render = _legacy(tmp_path)
    with pytest.raises(ProblemsError) as failure:
        plan_transform(pair, render, [_controller(), _operator(name="other")])
    (problem,) = failure.value.problems
    assert problem.rule == "krm-operator-missing"
    assert problem.path == "spec.install.mirror.mapping"
    assert "Deployment openshift-migration/migration-operator" in problem.message
    assert "(Deployment: openshift-migration/other)" in problem.message
