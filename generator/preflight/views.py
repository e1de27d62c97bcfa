"""The cluster views preflight evaluates: the state today, after the generated output, after the openings close."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from typing import Any

from generator.clusterpair.model import NetworkType
from generator.mtc import facts
from generator.mtc.connections import HOST_NETWORK_NAMESPACE, ROUTER_NAMESPACE
from generator.mtc.resolve import ResolvedCluster
from generator.preflight.firewall import EF_KIND, ENP_KIND, Firewall, FwRule, RuleMemo, compile_firewall
from generator.preflight.netpol import Policy, SpecParts, compile_policy
from generator.preflight.policyeval import Enforcement
from generator.preflight.state import ClusterState
from generator.records import record
from generator.render.egressfirewall import FirewallOutput
from generator.render.plan import ClusterRender

HOST_NETWORK_DEFAULT = "default"  # facts §11: where host-network traffic comes from on OpenShift SDN 4.6 and older


@record
class View:
    """A cluster's objects as evaluated: the state today, or the state with the generated output applied."""

    cluster: ResolvedCluster
    state: ClusterState
    policies: Mapping[str, Sequence[Policy]]
    firewalls: Mapping[str, Sequence[Firewall]]
    notes: tuple[str, ...] = ()

    def namespace_labels(self, name: str) -> dict[str, str]:
        if name in self.state.namespaces:
            return self.state.namespaces[name]
        # a namespace MTC creates during the migration, or infrastructure the export lacks
        return {facts.NAMESPACE_NAME_LABEL: name} if self.cluster.caps.namespace_name_label else {}

    @functools.cached_property
    def enforcement(self) -> Enforcement:
        caps = self.cluster.caps
        return Enforcement(
            egress=caps.egress_policy is not False,
            ipblock_except=caps.ipblock_except,
            end_port=caps.end_port,
            named_ports=caps.named_ports,
        )

    def firewall_kinds(self) -> tuple[str, ...]:
        plugin = self.cluster.network_type
        if plugin is NetworkType.OPENSHIFT_SDN:
            return (ENP_KIND,)
        if plugin is NetworkType.OVN_KUBERNETES:
            return (EF_KIND,)
        return (ENP_KIND, EF_KIND)

    def same_for(self, other: View, namespace: str) -> bool:
        """Whether `other` evaluates the connections of pods in `namespace` as this view does: the same cluster,
        state and notes, and the very same policies and firewalls there (the closed view shares them with
        today's wherever our output was not, so those verdicts are computed once)."""
        return (
            self.cluster is other.cluster
            and self.state.namespaces is other.state.namespaces
            and self.state.ingress_controllers is other.state.ingress_controllers
            and self.notes == other.notes
            and _same_objects(self.policies.get(namespace, ()), other.policies.get(namespace, ()))
            and _same_objects(self.firewalls.get(namespace, ()), other.firewalls.get(namespace, ()))
        )

    def namespace_firewalls(self, namespace: str) -> list[Firewall]:
        kinds = self.firewall_kinds()
        return sorted((f for f in self.firewalls.get(namespace, ()) if f.kind in kinds), key=lambda f: f.name)


def _same_objects(mine: Sequence[object], theirs: Sequence[object]) -> bool:
    return len(mine) == len(theirs) and all(a is b for a, b in zip(mine, theirs, strict=True))


def today_view(cluster: ResolvedCluster, state: ClusterState) -> View:
    return View(cluster, state, state.policies, state.firewalls)


def after_view(cluster: ResolvedCluster, state: ClusterState, render: ClusterRender | None) -> View:
    """The state with the cluster's generated NetworkPolicies and firewall rules applied (spec §4)."""
    if render is None:
        return today_view(cluster, state)
    policies: dict[str, list[Policy]] = {ns: list(items) for ns, items in state.policies.items()}
    memo: dict[str, SpecParts] = {}
    for namespace, obj in render.policies:
        compiled = compile_policy(obj, "generated", generated=True, memo=memo)
        kept = [p for p in policies.get(namespace, []) if p.name != compiled.name]
        policies[namespace] = [*kept, compiled]
    firewalls: dict[str, list[Firewall]] = {ns: list(items) for ns, items in state.firewalls.items()}
    notes: list[str] = []
    rules: RuleMemo = {}
    for out in render.firewalls:
        note = _apply_firewall(firewalls, out, rules)
        if note:
            notes.append(note)
    return View(cluster, state, policies, firewalls, tuple(notes))


def _apply_firewall(firewalls: dict[str, list[Firewall]], out: FirewallOutput, memo: RuleMemo) -> str:
    """Apply one generated firewall (whole, or DVM rules patched in first) to its namespace; a note when the
    patch has nothing to patch."""
    existing = firewalls.get(out.namespace, [])
    same = [f for f in existing if f.kind == out.kind and f.name == out.name]
    if out.whole is not None:
        whole = compile_firewall(out.whole, "generated", generated_rules=len(out.rules), memo=memo)
        firewalls[out.namespace] = [*(f for f in existing if f not in same), whole]
        return ""
    if not same:
        return f"the generated patch targets {out.kind} {out.namespace}/{out.name}, which the cluster does not have"
    ours = _dvm_rules(out, memo)
    old = same[0]
    shifted = tuple(dataclasses.replace(r, index=r.index + len(ours.rules)) for r in old.rules)
    merged = dataclasses.replace(old, rules=ours.rules + shifted, generated_rules=len(ours.rules))
    firewalls[out.namespace] = [merged if f is old else f for f in existing]
    return ""


def _dvm_rules(out: FirewallOutput, memo: RuleMemo) -> Firewall:
    """The DVM rules a generated firewall output puts in front of the cluster's own, as a compiled firewall."""
    return compile_firewall(
        {
            "kind": out.kind,
            "metadata": {"namespace": out.namespace, "name": out.name},
            "spec": {"egress": out.rules},
        },
        "generated",
        memo=memo,
    )


def closed_view(cluster: ResolvedCluster, state: ClusterState, opened: ClusterRender, closed: ClusterRender) -> View:
    """The state after the openings close (spec §9): our NetworkPolicies gone (the state may hold them, applied
    earlier), each firewall without the DVM rules the open output puts there, then the closed output applied
    (a firewall given with `rules:` comes back with those rules only)."""
    ours = {(ns, p["metadata"]["name"]) for ns, p in opened.policies}
    policies = {ns: [p for p in items if (ns, p.name) not in ours] for ns, items in state.policies.items()}
    firewalls: dict[str, list[Firewall]] = {ns: list(items) for ns, items in state.firewalls.items()}
    rules: RuleMemo = {}
    for out in opened.firewalls:
        dvm = _dvm_rules(out, rules)
        keys = {dataclasses.replace(r, index=0) for r in dvm.rules}
        firewalls[out.namespace] = [
            _without(f, keys) if (f.kind, f.name) == (out.kind, out.name) else f
            for f in firewalls.get(out.namespace, [])
        ]
    return after_view(cluster, dataclasses.replace(state, policies=policies, firewalls=firewalls), closed)


def _without(fw: Firewall, keys: set[FwRule]) -> Firewall:
    kept = [r for r in fw.rules if dataclasses.replace(r, index=0) not in keys]
    return dataclasses.replace(fw, rules=tuple(dataclasses.replace(r, index=i) for i, r in enumerate(kept)))


def router_namespaces(view: View) -> list[str]:
    """Where router traffic comes from (facts §5): openshift-ingress, or the host network for a default
    IngressController published on the host network."""
    ic = view.state.ingress_controllers.get("default") or {}
    strategy: Any = {}
    for part in ("status", "spec"):
        section = ic.get(part)
        if isinstance(section, dict) and isinstance(section.get("endpointPublishingStrategy"), dict):
            strategy = section["endpointPublishingStrategy"]
            break
    host = isinstance(strategy, dict) and strategy.get("type") == "HostNetwork"
    if host and view.cluster.caps.host_network_router_is_default:
        return [HOST_NETWORK_DEFAULT]  # facts §11: SDN 4.6 gives host-network traffic namespace default's VNID 0
    return [HOST_NETWORK_NAMESPACE if host else ROUTER_NAMESPACE]
