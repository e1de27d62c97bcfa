"""Egress firewalls of the migrated source namespaces: one per namespace, EgressFirewall named default, no Deny
0.0.0.0/0 ahead of the API servers' Allow, and the rule limit after the DVM rules are added."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from generator.mtc import facts
from generator.mtc.resolve import Capabilities
from generator.preflight.findings import finding
from generator.preflight.firewall import EF_KIND, Firewall
from generator.preflight.state import ClusterState
from generator.preflight.views import View
from generator.problems import Problem, Severity

LIMIT_WARN_RATIO = 0.9


def firewall_findings(view_today: View, view_after: View, namespaces: Iterable[str]) -> list[Problem]:
    state = view_today.state
    out: list[Problem] = []
    for ns in sorted(set(namespaces)):
        present = view_today.namespace_firewalls(ns)
        out += _duplicates(state, ns, present)
        for fw in present:
            out += _object_findings(state, fw)
        out += _limit_findings(state, view_today.cluster.caps, view_after.namespace_firewalls(ns))
    return out


def _duplicates(state: ClusterState, ns: str, present: Sequence[Firewall]) -> list[Problem]:
    if len(present) <= 1:
        return []
    names = ", ".join(f.ref() for f in present)
    return [
        finding(
            state,
            present[1].where,
            Severity.ERROR,
            "firewall-duplicate",
            f"namespace {ns} has {len(present)} egress firewall objects ({names}); only one per namespace "
            "is allowed and the firewall is then broken (docs/why.md#egress-firewalls)",
            "merge the rules into one object",
        )
    ]


def _object_findings(state: ClusterState, fw: Firewall) -> list[Problem]:
    """The name of an EgressFirewall, and a Deny 0.0.0.0/0 with no Allow of an address range before it."""
    out: list[Problem] = []
    if fw.kind == EF_KIND and fw.name != facts.EGRESS_FIREWALL_NAME:
        out.append(
            finding(
                state,
                fw.where,
                Severity.ERROR,
                "firewall-name",
                f"{fw.ref()}: an EgressFirewall must be named 'default' (docs/why.md#egress-firewalls)",
                "rename it to default",
            )
        )
    deny_all = next((rule for rule in fw.rules if rule.is_deny_all), None)
    if deny_all is None:
        return out
    if not any(r.allow and r.cidr is not None for r in fw.rules[: deny_all.index]):
        out.append(
            finding(
                state,
                f"{fw.where}.spec.egress[{deny_all.index}]",
                Severity.WARNING,
                "firewall-deny-all",
                f"{fw.ref()}: Deny 0.0.0.0/0 with no Allow rule before it for the API servers' "
                "range blocks the pods' access to the API servers (docs/why.md#egress-firewalls)",
                "add an Allow rule for the API server range before it",
            )
        )
    return out


def _limit_findings(state: ClusterState, caps: Capabilities, after: Sequence[Firewall]) -> list[Problem]:
    """The plugin's rule limit (EgressNetworkPolicy: 1000 rules) with the DVM rules added: over it, or near it."""
    limit = caps.firewall.max_rules if caps.firewall else None
    if limit is None:
        return []
    out: list[Problem] = []
    for fw in after:
        count = len(fw.rules)
        if count > limit:
            out.append(
                finding(
                    state,
                    fw.where,
                    Severity.ERROR,
                    "firewall-limit",
                    f"{fw.ref()} holds {count} rules after the DVM rules; the limit is {limit}",
                )
            )
        elif count >= LIMIT_WARN_RATIO * limit:
            out.append(
                finding(
                    state,
                    fw.where,
                    Severity.WARNING,
                    "firewall-limit",
                    f"{fw.ref()} holds {count} rules after the DVM rules, near the limit of {limit}",
                )
            )
    return out
