"""The verdict engine: whether the NetworkPolicies and egress firewalls of a view let one DVM connection through,
and which objects (and rules) allow or block it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from generator.clusterpair.values import IpNetwork
from generator.mtc import facts
from generator.mtc.connections import (
    DNS_NAMED_PORTS,
    DNS_POD_LABELS,
    HOST_NETWORK_NAMESPACE,
    ROUTER_POD_LABELS,
    Connection,
    PeerKind,
    Side,
)
from generator.mtc.resolve import ResolvedPair
from generator.mtc.thresholds import is_3x
from generator.preflight.firewall import EF_KIND, ENP_KIND, evaluate_firewall
from generator.preflight.netpol import Interval, Policy, interval
from generator.preflight.policyeval import AddressEnd, End, PodEnd, Query, Reach, decide, reaching
from generator.preflight.views import HOST_NETWORK_DEFAULT, View, router_namespaces

ANY_V4 = AddressEnd(4, (0, 2**32 - 1), "any address")


class Blocker(NamedTuple):
    ref: str  # "NetworkPolicy shop/default-deny", "EgressFirewall shop/default"
    rule: str  # what in it blocks
    generated: bool = False

    def text(self) -> str:
        return f"{self.ref}: {self.rule}"


class Verdict(NamedTuple):
    allowed: bool
    blockers: tuple[Blocker, ...] = ()
    allowed_by: tuple[str, ...] = ()  # generated objects (and rules) that allow it
    notes: tuple[str, ...] = ()
    allowed_by_theirs: tuple[str, ...] = ()  # the cluster's own objects (and rules) that allow it

    def as_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "blockedBy": [{"object": b.ref, "rule": b.rule, "generated": b.generated} for b in self.blockers],
            "allowedByGenerated": list(self.allowed_by),
            "allowedByExisting": list(self.allowed_by_theirs),
            "notes": list(self.notes),
        }


def _ends(conn: Connection, view: View) -> list[tuple[End, Mapping[str, int]]]:
    """Concrete peers of a connection in this cluster, with the named ports of the peer pod."""
    peer = conn.peer
    if conn.name == "dns" and peer.kind is PeerKind.ANYWHERE and not is_3x(view.cluster.version):
        # 4.6/4.7: policies cannot select openshift-dns by name, but that is where the DNS pods answer
        ns = facts.DNS_NAMESPACE
        return [(PodEnd(ns, view.namespace_labels(ns), DNS_POD_LABELS, DNS_NAMED_PORTS), DNS_NAMED_PORTS)]
    if peer.kind is PeerKind.ANYWHERE:
        return [(ANY_V4, {})]
    if peer.kind is PeerKind.ADDRESSES:
        if not peer.networks:
            return [(dataclasses.replace(ANY_V4, text=f"{peer.what} (address unknown)"), {})]
        return [(_address(net), {}) for net in peer.networks]
    namespaces = router_namespaces(view) if peer.namespace_labels is not None else [peer.namespace or conn.namespace]
    named = peer.named_ports
    labels = peer.pod_labels or (ROUTER_POD_LABELS,)

    def pods(ns: str) -> Sequence[Mapping[str, str]]:
        # facts §5: host-network routers reach pods from the node, carrying no pod labels at all
        return ({},) if ns in (HOST_NETWORK_NAMESPACE, HOST_NETWORK_DEFAULT) else labels

    return [(PodEnd(ns, view.namespace_labels(ns), pod, named), named) for ns in namespaces for pod in pods(ns)]


def _address(net: IpNetwork) -> AddressEnd:
    return AddressEnd(net.version, interval(net), str(net))


def _end_text(end: End) -> str:
    return end.text if isinstance(end, AddressEnd) else f"pods in {end.namespace}"


def _port_groups(conn: Connection) -> list[list[tuple[str, Interval]]]:
    """Each group needs one allowed member: DNS works on either port per protocol; everything else needs all."""
    if conn.name == "dns":
        protos = sorted({p.protocol for p in conn.ports}, reverse=True)
        return [[(p.protocol, (p.port, p.last)) for p in conn.ports if p.protocol == proto] for proto in protos]
    return [[(p.protocol, (p.port, p.last))] for p in conn.ports]


def _ports_text(protocol: str, ports: Interval) -> str:
    return f"{protocol} {ports[0]}" + (f"-{ports[1]}" if ports[1] != ports[0] else "")


def evaluate_connection(conn: Connection, view: View) -> Verdict:
    """Whether `conn` gets through in `view`: for every pod label set, each port group needs one member that
    every concrete peer allows (NetworkPolicies, then the egress firewalls of a connection leaving the cluster)."""
    run = _Evaluation(conn, view, list(view.notes))
    if conn.side is Side.EGRESS and not run.enf.egress:
        run.notes.append(f"{view.cluster.name} does not enforce egress NetworkPolicy (OpenShift SDN before 4.10)")
    ok = True
    groups = _port_groups(conn)
    for labels in conn.pods.label_sets:
        for group in groups:
            group_blockers: list[Blocker] = []
            # every member is evaluated (no short cut): each one adds what allows it to the verdict
            members = [run.member(labels, protocol, ports, group_blockers) for protocol, ports in group]
            if not any(members):
                ok = False
                run.blockers += group_blockers
    first_per_object = {b.ref: b for b in reversed(run.blockers)}  # one line per object: its first reason
    unique = tuple(b for b in dict.fromkeys(run.blockers) if first_per_object[b.ref] is b)
    return Verdict(
        ok,
        unique,
        tuple(dict.fromkeys(run.allowed_by)),
        tuple(dict.fromkeys(run.notes)),
        tuple(dict.fromkeys(run.theirs)),
    )


class _Evaluation:
    """One connection evaluated in one view, and what the verdict collects on the way."""

    __slots__ = ("allowed_by", "blockers", "conn", "direction", "ends", "enf", "notes", "reached", "theirs", "view")

    def __init__(self, conn: Connection, view: View, notes: list[str]) -> None:
        self.conn, self.view, self.enf, self.notes = conn, view, view.enforcement, notes
        self.direction = conn.side.value
        self.ends = _ends(conn, view)
        self.blockers: list[Blocker] = []
        self.allowed_by: list[str] = []  # generated objects (and rules) that allow it
        self.theirs: list[str] = []  # the cluster's own objects (and rules) that allow it
        self.reached: dict[tuple[int, int], Reach] = {}  # (id of the pod's labels, peer index) -> reach

    def member(self, labels: Mapping[str, str], protocol: str, ports: Interval, blockers: list[Blocker]) -> bool:
        """Whether one protocol and port range gets through to (or from) every concrete peer."""
        conn, direction = self.conn, self.direction
        ok = True
        for n, (end, named) in enumerate(self.ends):
            dest_named = conn.pods.named_ports if direction == "ingress" else named
            query = Query(direction, conn.namespace, labels, end, protocol, ports, dest_named)
            reach = self.reached.get((id(labels), n))
            if reach is None:  # what the ports do not change is worked out once per pod and peer
                policies = self.view.policies.get(conn.namespace, ())
                reach = self.reached[id(labels), n] = reaching(policies, query, self.enf)
            out = decide(reach, query, self.enf)
            if out.allowed:
                for p, i in out.allowing:
                    (self.allowed_by if p.generated else self.theirs).append(f"{p.ref()} {direction}[{i}]")
            else:
                ok = False
                blockers += _policy_blockers(out.isolating, direction, protocol, ports, end)
            if conn.leaves_cluster and direction == "egress" and isinstance(end, AddressEnd):
                fw_ok = self.firewalls(end, protocol, ports, blockers)
                ok = ok and fw_ok
        return ok

    def firewalls(self, end: AddressEnd, protocol: str, ports: Interval, blockers: list[Blocker]) -> bool:
        """Whether the namespace's egress firewalls let it out: the first matching rule of each decides."""
        networks = [] if end.text.endswith("(address unknown)") else [(end.version, end.span)]
        ok = True
        for fw in self.view.namespace_firewalls(self.conn.namespace):
            out = evaluate_firewall(fw, networks, self.conn.peer.hosts, protocol, ports)
            if out.rule is None:
                continue
            generated = out.rule.index < fw.generated_rules
            text = f"egress[{out.rule.index}] {out.rule.text}"
            if not out.allowed:
                ok = False
                blockers.append(Blocker(fw.ref(), f"{text} (first match)", generated))
            elif generated:
                self.allowed_by.append(f"{fw.ref()} {text}")
            else:
                self.theirs.append(f"{fw.ref()} {text}")
        return ok


def change(today: Verdict, after: Verdict, hint: str) -> str:
    if not today.allowed and after.allowed:
        by = ", ".join(after.allowed_by) if after.allowed_by else "the generated output"
        return f"unblocked by {by}"
    if today.allowed and after.allowed:
        return "no change needed"
    if today.allowed and not after.allowed:
        return "the generated output blocks it: " + "; ".join(b.text() for b in after.blockers)
    return "still blocked" + (f": {hint}" if hint else "")


def hint(conn: Connection, pair: ResolvedPair, after: Verdict) -> str:
    kinds = {b.ref.split(" ")[0] for b in after.blockers}
    hints = []
    if kinds & {ENP_KIND, EF_KIND} and conn.mapping.egress_firewall is None:
        hints.append(f"declare egressFirewall for namespace {conn.mapping.source} in the spec")
    if "NetworkPolicy" in kinds and pair.spec.network_policy_mode.value == "none":
        hints.append("networkPolicy.mode is none: nothing is generated")
    if not hints:
        hints.append("the generated output does not reach what blocks it")
    return "; ".join(hints)


def _policy_blockers(
    isolating: Sequence[Policy], direction: str, protocol: str, ports: Interval, end: End
) -> list[Blocker]:
    """The policies that isolate the pods and allow none of it, each with why."""
    what = ""
    blockers = []
    for policy in isolating:
        rules = policy.egress if direction == "egress" else policy.ingress
        if rules and not what:
            what = f"{_ports_text(protocol, ports)} {'to' if direction == 'egress' else 'from'} {_end_text(end)}"
        why = f"no {direction} rule allows {what}" if rules else f"denies all {direction}"
        blockers.append(Blocker(policy.ref(), why, policy.generated))
    return blockers
