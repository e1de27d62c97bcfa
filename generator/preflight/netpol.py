"""Kubernetes NetworkPolicy semantics, compiled once per object and evaluated per connection.

Rules of the API (networking.k8s.io/v1):
* A pod is isolated for a direction when at least one policy of its namespace selects it and lists that
  direction in `policyTypes` (default: Ingress, plus Egress when `egress` has rules). A non-isolated pod allows
  everything; an isolated one allows the union of the selecting policies' rules (additive, no deny rules).
* A rule matches when one of its peers matches (no peers: everything) and one of its ports does (no ports:
  every port). `podSelector` alone: pods of the policy's namespace; `namespaceSelector` alone: every pod of the
  matching namespaces; both: matching pods there. `ipBlock` matches addresses (never pods): `cidr` minus
  `except`. Selectors: `matchLabels` and `matchExpressions` In/NotIn/Exists/DoesNotExist, ANDed.
* A named port matches the destination pod's container port of that name; against an address it matches
  nothing (conservative: it is never counted as allowing).

What each OpenShift version enforces (spec §4.1, facts §9) is applied by `Enforcement`: SDN before 4.10 ignores
egress rules and drops every `ipBlock` with `except` (a rule left without peers then matches nothing), and
before 4.10 `endPort` is dropped (only `port` is covered).
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Labels = Mapping[str, str]
Interval = tuple[int, int]  # inclusive
MAX_PORT = 65535
PROTOCOLS = ("TCP", "UDP", "SCTP")


class PolicyError(ValueError):
    """A malformed NetworkPolicy; `path` is the dotted field inside the object."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


# --- selectors -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selector:
    """A compiled label selector; an empty one matches everything."""

    labels: tuple[tuple[str, str], ...]
    expressions: tuple[tuple[str, str, frozenset[str]], ...]

    def matches(self, labels: Labels) -> bool:
        for key, value in self.labels:
            if labels.get(key) != value:
                return False
        for key, op, values in self.expressions:
            present = key in labels
            if op == "In":
                if not present or labels[key] not in values:
                    return False
            elif op == "NotIn":
                if present and labels[key] in values:
                    return False
            elif op == "Exists":
                if not present:
                    return False
            elif present:  # DoesNotExist
                return False
        return True


def compile_selector(data: object, path: str) -> Selector:
    if data is None:
        return Selector((), ())
    if not isinstance(data, dict):
        raise PolicyError(path, "a label selector is a mapping")
    unknown = set(data) - {"matchLabels", "matchExpressions"}
    if unknown:
        raise PolicyError(path, f"unknown key {sorted(unknown)[0]!r} in a label selector")
    labels = data.get("matchLabels") or {}
    if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
        raise PolicyError(f"{path}.matchLabels", "matchLabels maps label keys to string values")
    listed = data.get("matchExpressions") or []
    if not isinstance(listed, list):
        raise PolicyError(f"{path}.matchExpressions", "matchExpressions is a list of {key, operator, values}")
    exprs = []
    for i, expr in enumerate(listed):
        where = f"{path}.matchExpressions[{i}]"
        if not isinstance(expr, dict) or not isinstance(expr.get("key"), str):
            raise PolicyError(where, "an expression is {key, operator, values}")
        op = expr.get("operator")
        values = expr.get("values") or []
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise PolicyError(f"{where}.operator", f"unknown operator {op!r} (In, NotIn, Exists, DoesNotExist)")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise PolicyError(f"{where}.values", "values is a list of strings")
        if op in ("In", "NotIn") and not values:
            raise PolicyError(f"{where}.values", f"{op} needs at least one value")
        if op in ("Exists", "DoesNotExist") and values:
            raise PolicyError(f"{where}.values", f"{op} takes no values")
        exprs.append((expr["key"], str(op), frozenset(values)))
    return Selector(tuple(sorted(labels.items())), tuple(exprs))


# --- peers, ports, rules -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    version: int
    cidr: Interval
    excepts: tuple[Interval, ...]
    text: str

    def intervals(self) -> list[Interval]:
        return subtract([self.cidr], self.excepts)


@dataclass(frozen=True)
class Peer:
    pods: Selector | None  # None with `namespaces` None: an ipBlock peer
    namespaces: Selector | None  # None: the policy's own namespace
    block: Block | None


@dataclass(frozen=True)
class Port:
    protocol: str
    port: int | str | None  # None: every port; str: a named port
    end_port: int | None


@dataclass(frozen=True)
class Rule:
    index: int
    peers: tuple[Peer, ...] | None  # None: no `from`/`to`, every peer
    ports: tuple[Port, ...] | None  # None: every port and protocol


@dataclass(frozen=True)
class Policy:
    namespace: str
    name: str
    selector: Selector
    ingress: tuple[Rule, ...] | None  # None: the policy does not isolate for ingress
    egress: tuple[Rule, ...] | None
    where: str  # where the object stands in its file: "items[3]", "document 2"
    generated: bool = False

    def ref(self) -> str:
        return f"NetworkPolicy {self.namespace}/{self.name}"


def _network(text: object, path: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if not isinstance(text, str) or "/" not in text:
        raise PolicyError(path, f"{text!r} is not a CIDR")
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise PolicyError(path, f"{text!r} is not a CIDR") from None


def interval(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> Interval:
    return int(net.network_address), int(net.broadcast_address)


def _peer(data: object, path: str) -> Peer:
    if not isinstance(data, dict) or not data:
        raise PolicyError(path, "a peer holds podSelector, namespaceSelector or ipBlock")
    unknown = set(data) - {"podSelector", "namespaceSelector", "ipBlock"}
    if unknown:
        raise PolicyError(path, f"unknown key {sorted(unknown)[0]!r} in a peer")
    if "ipBlock" in data:
        if len(data) > 1:
            raise PolicyError(path, "ipBlock cannot be combined with a selector in one peer")
        block = data["ipBlock"]
        if not isinstance(block, dict):
            raise PolicyError(f"{path}.ipBlock", "ipBlock is {cidr, except}")
        net = _network(block.get("cidr"), f"{path}.ipBlock.cidr")
        excepts = []
        for i, text in enumerate(block.get("except") or []):
            ex = _network(text, f"{path}.ipBlock.except[{i}]")
            if ex.version != net.version or not ex.subnet_of(net):  # type: ignore[arg-type]
                raise PolicyError(f"{path}.ipBlock.except[{i}]", f"{text} is not inside {net}")
            excepts.append(interval(ex))
        return Peer(None, None, Block(net.version, interval(net), tuple(excepts), str(net)))
    pods = compile_selector(data.get("podSelector"), f"{path}.podSelector") if "podSelector" in data else None
    nss = (
        compile_selector(data.get("namespaceSelector"), f"{path}.namespaceSelector")
        if "namespaceSelector" in data
        else None
    )
    return Peer(pods if pods is not None else Selector((), ()), nss, None)


# A container port name (Kubernetes IANA_SVC_NAME): anything else, `1:07:23` included, is not a port.
_PORT_NAME = re.compile(r"(?=[a-z0-9-]{1,15}\Z)(?=.*[a-z])[a-z0-9]+(?:-[a-z0-9]+)*")


def _port(data: object, path: str) -> Port:
    if not isinstance(data, dict):
        raise PolicyError(path, "a port is {protocol, port, endPort}")
    protocol = data.get("protocol", "TCP")
    if protocol not in PROTOCOLS:
        raise PolicyError(f"{path}.protocol", f"protocol {protocol!r} is not TCP, UDP or SCTP")
    port = data.get("port")
    end = data.get("endPort")
    if (port is not None and not isinstance(port, (int, str))) or isinstance(port, bool):
        raise PolicyError(f"{path}.port", "port is a number or a container port name")
    if isinstance(port, str) and not _PORT_NAME.fullmatch(port):
        raise PolicyError(f"{path}.port", f"port {port[:40]!r} is neither a number nor a port name (IANA_SVC_NAME)")
    if isinstance(port, int) and not 1 <= port <= MAX_PORT:
        raise PolicyError(f"{path}.port", f"port {port} is outside 1-65535")
    if end is not None and (
        not isinstance(port, int) or not isinstance(end, int) or isinstance(end, bool) or not port <= end <= MAX_PORT
    ):
        raise PolicyError(f"{path}.endPort", "endPort needs a numeric port and lies between it and 65535")
    return Port(str(protocol), port, end)


def _rules(data: object, direction: str, peer_key: str, path: str) -> tuple[Rule, ...]:
    if data is None:
        return ()
    if not isinstance(data, list):
        raise PolicyError(path, f"{direction} is a list of rules")
    rules = []
    for i, item in enumerate(data):
        where = f"{path}[{i}]"
        rule = {} if item is None else item
        if not isinstance(rule, dict):
            raise PolicyError(where, "a rule is a mapping")
        unknown = set(rule) - {peer_key, "ports"}
        if unknown:
            raise PolicyError(where, f"unknown key {sorted(unknown)[0]!r} in an {direction} rule")
        raw_peers = rule.get(peer_key)
        raw_ports = rule.get("ports")
        if raw_peers is not None and not isinstance(raw_peers, list):
            raise PolicyError(f"{where}.{peer_key}", "a list of peers")
        if raw_ports is not None and not isinstance(raw_ports, list):
            raise PolicyError(f"{where}.ports", "a list of ports")
        peers = tuple(_peer(p, f"{where}.{peer_key}[{j}]") for j, p in enumerate(raw_peers)) if raw_peers else None
        ports = tuple(_port(p, f"{where}.ports[{j}]") for j, p in enumerate(raw_ports)) if raw_ports else None
        rules.append(Rule(i, peers, ports))
    return tuple(rules)


def compile_policy(obj: Mapping[str, Any], where: str, *, generated: bool = False) -> Policy:
    """A NetworkPolicy object (already known to have a namespace and a name) -> `Policy`."""
    meta = obj["metadata"]
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        raise PolicyError("spec", "a NetworkPolicy needs a spec mapping")
    selector = compile_selector(spec.get("podSelector"), "spec.podSelector")
    ingress = _rules(spec.get("ingress"), "ingress", "from", "spec.ingress")
    egress = _rules(spec.get("egress"), "egress", "to", "spec.egress")
    types = spec.get("policyTypes")
    if types is None:  # the API server's default
        types = ["Ingress", *(["Egress"] if egress else [])]
    if not isinstance(types, list) or not all(t in ("Ingress", "Egress") for t in types):
        raise PolicyError("spec.policyTypes", "policyTypes lists Ingress and/or Egress")
    return Policy(
        namespace=str(meta["namespace"]),
        name=str(meta["name"]),
        selector=selector,
        ingress=ingress if "Ingress" in types else None,
        egress=egress if "Egress" in types else None,
        where=where,
        generated=generated,
    )


# --- interval arithmetic -------------------------------------------------------------------------------------


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def subtract(base: Iterable[Interval], cuts: Iterable[Interval]) -> list[Interval]:
    out = merge(base)
    for clo, chi in merge(cuts):
        nxt: list[Interval] = []
        for lo, hi in out:
            if chi < lo or clo > hi:
                nxt.append((lo, hi))
                continue
            if lo < clo:
                nxt.append((lo, clo - 1))
            if chi < hi:
                nxt.append((chi + 1, hi))
        out = nxt
    return out


def covers(union: Iterable[Interval], want: Interval) -> bool:
    return not subtract([want], union)


def overlaps(a: Interval, b: Interval) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


# --- evaluation ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enforcement:
    """What the cluster's OpenShift version enforces (spec §4.1)."""

    egress: bool = True
    ipblock_except: bool = True
    end_port: bool = True
    named_ports: bool = True  # facts §11: OpenShift SDN skips a named port entry (a rule of named ports only: none)


@dataclass(frozen=True)
class PodEnd:
    """A concrete pod: its namespace, the namespace's labels, its labels and its named container ports."""

    namespace: str
    namespace_labels: Labels
    labels: Labels
    named_ports: Mapping[str, int]


@dataclass(frozen=True)
class AddressEnd:
    """Addresses outside the pod network (one network), or any address (`0.0.0.0/0`) when unknown."""

    version: int
    span: Interval
    text: str


End = PodEnd | AddressEnd


@dataclass(frozen=True)
class Outcome:
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


def _port_intervals(
    ports: tuple[Port, ...] | None, protocol: str, named: Mapping[str, int], enf: Enforcement
) -> list[Interval]:
    if ports is None:
        return [(1, MAX_PORT)]
    out: list[Interval] = []
    for p in ports:
        if p.protocol != protocol:
            continue
        if p.port is None:
            out.append((1, MAX_PORT))
        elif isinstance(p.port, str):
            if enf.named_ports and p.port in named:
                out.append((named[p.port], named[p.port]))
        else:
            end = p.end_port if (p.end_port is not None and enf.end_port) else p.port
            out.append((p.port, end))
    return out


def _rule_peers(rule: Rule, enf: Enforcement) -> tuple[Peer, ...] | None:
    """The peers a cluster enforces: SDN before 4.10 drops an ipBlock with `except` (facts §9)."""
    if rule.peers is None or enf.ipblock_except:
        return rule.peers
    return tuple(p for p in rule.peers if p.block is None or not p.block.excepts)


@dataclass(frozen=True)
class Query:
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


def evaluate(policies: Sequence[Policy], query: Query, enf: Enforcement) -> Outcome:
    """Answer `query` under `policies` (those of the pod's namespace and others; others are skipped).

    Address ends need coverage of the whole network by the union of the rules (several rules may share it).
    """
    direction, other, ports, protocol = query.direction, query.other, query.ports, query.protocol
    if direction == "egress" and not enf.egress:
        return Outcome(True, (), ())  # egress NetworkPolicy is not enforced on this cluster
    isolating = []
    for policy in policies:
        rules = policy.egress if direction == "egress" else policy.ingress
        if rules is not None and policy.namespace == query.namespace and policy.selector.matches(query.labels):
            isolating.append(policy)
    if not isolating:
        return Outcome(True, (), ())
    allowing: list[tuple[Policy, int]] = []
    rects: list[tuple[list[Interval], list[Interval]]] = []  # (addresses, ports) an address end may use
    port_union: list[Interval] = []
    for policy in isolating:
        for rule in (policy.egress if direction == "egress" else policy.ingress) or ():
            port_ivs = _port_intervals(rule.ports, protocol, query.named_ports, enf)
            if not any(overlaps(iv, ports) for iv in port_ivs):
                continue
            peers = _rule_peers(rule, enf)
            if isinstance(other, PodEnd):
                if peers is None or any(_peer_matches(p, policy.namespace, other) for p in peers):
                    allowing.append((policy, rule.index))
                    port_union += port_ivs
                continue
            if peers is None:
                addrs = [(0, 2**128)]
            else:
                addrs = [
                    iv
                    for p in peers
                    if p.block is not None and p.block.version == other.version
                    for iv in p.block.intervals()
                ]
            if any(overlaps(iv, other.span) for iv in addrs):
                allowing.append((policy, rule.index))
                rects.append((addrs, port_ivs))
    allowed = covers(port_union, ports) if isinstance(other, PodEnd) else _rects_cover(rects, other.span, ports)
    return Outcome(allowed, tuple(isolating), tuple(allowing))


def _rects_cover(rects: list[tuple[list[Interval], list[Interval]]], span: Interval, ports: Interval) -> bool:
    """Is span x ports inside the union of the rectangles? Sweep over the address boundaries."""
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
