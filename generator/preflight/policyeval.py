"""Evaluating compiled NetworkPolicies (`netpol`) for one connection: is the pod isolated for the direction,
and does the union of the selecting policies' rules allow the peer on the ports (see `netpol` for the API's rules).

What each OpenShift version enforces (spec §4.1, facts §9) is applied by `Enforcement`: SDN before 4.10 ignores
egress rules and drops every `ipBlock` with `except` (a rule left without peers then matches nothing), and
before 4.10 `endPort` is dropped (only `port` is covered).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from generator.preflight.netpol import MAX_PORT, Interval, Labels, Peer, Policy, PortsOf, Rule, covers, overlaps
from generator.records import record


@record
class Enforcement:
    """What the cluster's OpenShift version enforces (spec §4.1)."""

    egress: bool = True
    ipblock_except: bool = True
    end_port: bool = True
    named_ports: bool = True  # facts §11: OpenShift SDN skips a named port entry (a rule of named ports only: none)


@record
class PodEnd:
    """A concrete pod: its namespace, the namespace's labels, its labels and its named container ports."""

    namespace: str
    namespace_labels: Labels
    labels: Labels
    named_ports: Mapping[str, int]


@record
class AddressEnd:
    """Addresses outside the pod network (one network), or any address (`0.0.0.0/0`) when unknown."""

    version: int
    span: Interval
    text: str


End = PodEnd | AddressEnd


class Outcome(NamedTuple):
    allowed: bool
    isolating: tuple[Policy, ...]  # the policies that isolate the pod for the direction
    allowing: tuple[tuple[Policy, int], ...]  # (policy, rule index) that allow (part of) it


def _peer_matches(peer: Peer, policy_ns: str, end: PodEnd) -> bool:
    if peer.block is not None:
        return False
    if peer.namespaces is None:
        if end.namespace != policy_ns:
            return False
    elif not peer.namespaces.matches(end.namespace_labels):
        return False
    return peer.pods is None or peer.pods.matches(end.labels)


_EVERY_PORT: tuple[Interval, ...] = ((1, MAX_PORT),)
_NO_PORTS: PortsOf = ((), (), ())


def _port_intervals(rule: Rule, protocol: str, named: Mapping[str, int], enf: Enforcement) -> tuple[Interval, ...]:
    """The port ranges of `protocol` the rule allows, as enforced (endPort, named ports)."""
    if rule.ports is None:
        return _EVERY_PORT
    with_end, without_end, names = rule.port_table.get(protocol, _NO_PORTS)
    ranges = with_end if enf.end_port else without_end
    if not names or not enf.named_ports:
        return ranges
    return ranges + tuple((named[n], named[n]) for n in names if n in named)


def _rule_peers(rule: Rule, enf: Enforcement) -> tuple[Peer, ...] | None:
    """The peers a cluster enforces: SDN before 4.10 drops an ipBlock with `except` (facts §9)."""
    if rule.peers is None or enf.ipblock_except:
        return rule.peers
    return tuple(p for p in rule.peers if p.block is None or not p.block.excepts)


class Query(NamedTuple):
    """One question: may `other` reach (ingress) or be reached from (egress) the pod on `protocol` `ports`?

    `named_ports` are the destination pod's container ports: the pod's own for ingress, the peer's for egress.
    """

    direction: str  # ingress | egress
    namespace: str
    labels: Labels
    other: End
    protocol: str
    ports: Interval
    named_ports: Mapping[str, int]


class Reach(NamedTuple):
    """What of a query does not depend on its ports: the isolating policies and the rules whose peers take in
    `other` (with the address ranges they allow it, none for a pod). One per pod and peer, asked per port."""

    enforced: bool
    isolating: tuple[Policy, ...]
    rules: tuple[tuple[Policy, Rule, list[Interval]], ...]


_ALLOWED = Outcome(True, (), ())


def evaluate(policies: Sequence[Policy], query: Query, enf: Enforcement) -> Outcome:
    """Answer `query` under `policies` (those of the pod's namespace and others; others are skipped)."""
    return decide(reaching(policies, query, enf), query, enf)


def reaching(policies: Sequence[Policy], query: Query, enf: Enforcement) -> Reach:
    """The part of `query` its protocol and ports do not change (see `decide`)."""
    direction, namespace, labels, other = query.direction, query.namespace, query.labels, query.other
    if direction == "egress" and not enf.egress:
        return Reach(False, (), ())  # egress NetworkPolicy is not enforced on this cluster
    egress = direction == "egress"
    isolating = tuple(
        p
        for p in policies
        if (p.egress if egress else p.ingress) is not None and p.namespace == namespace and p.selector.matches(labels)
    )
    rules = []
    for policy in isolating:
        for rule in (policy.egress if egress else policy.ingress) or ():
            addrs = _reach(rule, policy, other, enf)
            if addrs is not None:
                rules.append((policy, rule, addrs))
    return Reach(True, isolating, tuple(rules))


def decide(reach: Reach, query: Query, enf: Enforcement) -> Outcome:
    """Whether the reaching rules allow the query's protocol and ports. Address ends need coverage of the whole
    network by the union of the rules (several rules may share it)."""
    if not reach.enforced or not reach.isolating:
        return _ALLOWED
    other, protocol, ports, named = query.other, query.protocol, query.ports, query.named_ports
    allowing: list[tuple[Policy, int]] = []
    rects: list[tuple[list[Interval], tuple[Interval, ...]]] = []  # (addresses, ports) an address end may use
    port_union: list[Interval] = []
    pod = isinstance(other, PodEnd)
    for policy, rule, addrs in reach.rules:
        port_ivs = _port_intervals(rule, protocol, named, enf)
        if not any(lo <= ports[1] and ports[0] <= hi for lo, hi in port_ivs):
            continue
        allowing.append((policy, rule.index))
        if pod:
            port_union += port_ivs
        else:
            rects.append((addrs, port_ivs))
    if not allowing:
        return Outcome(False, reach.isolating, ())  # isolated, and no rule allows these ports
    allowed = covers(port_union, ports) if pod else _rects_cover(rects, other.span, ports)  # type: ignore[union-attr]
    return Outcome(allowed, reach.isolating, tuple(allowing))


def _reach(rule: Rule, policy: Policy, other: End, enf: Enforcement) -> list[Interval] | None:
    """None when the rule's enforced peers miss `other`; else the address ranges it allows (none for a pod)."""
    peers = _rule_peers(rule, enf)
    if isinstance(other, PodEnd):
        return [] if peers is None or any(_peer_matches(p, policy.namespace, other) for p in peers) else None
    addrs = _addresses(peers, other)
    return addrs if any(overlaps(iv, other.span) for iv in addrs) else None


def _addresses(peers: tuple[Peer, ...] | None, other: AddressEnd) -> list[Interval]:
    """The address ranges of the same IP version the rule's peers allow (no peers: every address)."""
    if peers is None:
        return [(0, 2**128)]
    return [iv for p in peers if p.block is not None and p.block.version == other.version for iv in p.block.intervals]


def _rects_cover(rects: list[tuple[list[Interval], tuple[Interval, ...]]], span: Interval, ports: Interval) -> bool:
    """Is span x ports inside the union of the rectangles? Sweep over the address boundaries."""
    if any(covers(addrs, span) and covers(ivs, ports) for addrs, ivs in rects):
        return True  # one rectangle holds it all: the common case
    cuts = {span[0], span[1] + 1}
    for addrs, _ in rects:
        for lo, hi in addrs:
            if span[0] < lo <= span[1]:
                cuts.add(lo)
            if span[0] <= hi + 1 <= span[1]:
                cuts.add(hi + 1)
    edges = sorted(cuts)
    for lo, nxt in itertools.pairwise(edges):
        piece = (lo, nxt - 1)
        port_union = [iv for addrs, ivs in rects if any(covers([a], piece) for a in addrs) for iv in ivs]
        if not covers(port_union, ports):
            return False
    return True
