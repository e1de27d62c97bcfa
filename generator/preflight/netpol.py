"""Kubernetes NetworkPolicy semantics, compiled once per object (evaluated per connection in `policyeval`).

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

import functools
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from generator.records import record

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


@record
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
    exprs = [_expression(expr, f"{path}.matchExpressions[{i}]") for i, expr in enumerate(listed)]
    return Selector(tuple(sorted(labels.items())), tuple(exprs))


def _expression(expr: object, where: str) -> tuple[str, str, frozenset[str]]:
    """One `matchExpressions` entry: key, operator, and the values the operator needs (none for Exists)."""
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
    return (expr["key"], str(op), frozenset(values))


# --- peers, ports, rules -------------------------------------------------------------------------------------


@record
class Block:
    version: int
    cidr: Interval
    excepts: tuple[Interval, ...]
    text: str

    @functools.cached_property
    def intervals(self) -> list[Interval]:
        """The addresses of `cidr` outside every `except`, worked out once (read-only)."""
        return subtract([self.cidr], self.excepts)


@record
class Peer:
    pods: Selector | None  # None with `namespaces` None: an ipBlock peer
    namespaces: Selector | None  # None: the policy's own namespace
    block: Block | None


@record
class Port:
    protocol: str
    port: int | str | None  # None: every port; str: a named port
    end_port: int | None


@record
class Rule:
    index: int
    peers: tuple[Peer, ...] | None  # None: no `from`/`to`, every peer
    ports: tuple[Port, ...] | None  # None: every port and protocol

    @functools.cached_property
    def port_table(self) -> dict[str, PortsOf]:
        """The rule's ports per protocol, worked out once: every verdict asks them again."""
        table: dict[str, PortsOf] = {}
        for p in self.ports or ():
            with_end, without_end, names = table.get(p.protocol, ((), (), ()))
            if p.port is None:
                every = ((1, MAX_PORT),)
                table[p.protocol] = (with_end + every, without_end + every, names)
            elif isinstance(p.port, str):
                table[p.protocol] = (with_end, without_end, (*names, p.port))
            else:
                end = p.end_port if p.end_port is not None else p.port
                table[p.protocol] = ((*with_end, (p.port, end)), (*without_end, (p.port, p.port)), names)
        return table


# Per protocol: the port ranges with endPort enforced, without it, and the named ports.
PortsOf = tuple[tuple[Interval, ...], tuple[Interval, ...], tuple[str, ...]]


@record
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


SpecParts = tuple[Selector, tuple[Rule, ...] | None, tuple[Rule, ...] | None]  # selector, ingress, egress


def compile_policy(
    obj: Mapping[str, Any], where: str, *, generated: bool = False, memo: dict[str, SpecParts] | None = None
) -> Policy:
    """A NetworkPolicy object (already known to have a namespace and a name) -> `Policy`. With `memo`, a spec
    equal to one compiled before (generated output repeats one spec in every namespace) is compiled once."""
    meta = obj["metadata"]
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        raise PolicyError("spec", "a NetworkPolicy needs a spec mapping")
    if memo is None:
        parts = _compile_spec(spec)
    else:
        key = repr(spec)
        parts = memo.get(key) or memo.setdefault(key, _compile_spec(spec))
    selector, ingress, egress = parts
    return Policy(str(meta["namespace"]), str(meta["name"]), selector, ingress, egress, where, generated)


def _compile_spec(spec: dict[str, Any]) -> SpecParts:
    selector = compile_selector(spec.get("podSelector"), "spec.podSelector")
    ingress = _rules(spec.get("ingress"), "ingress", "from", "spec.ingress")
    egress = _rules(spec.get("egress"), "egress", "to", "spec.egress")
    types = spec.get("policyTypes")
    if types is None:  # the API server's default
        types = ["Ingress", *(["Egress"] if egress else [])]
    if not isinstance(types, list) or not all(t in ("Ingress", "Egress") for t in types):
        raise PolicyError("spec.policyTypes", "policyTypes lists Ingress and/or Egress")
    return selector, ingress if "Ingress" in types else None, egress if "Egress" in types else None


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


def covers(union: Sequence[Interval], want: Interval) -> bool:
    lo, hi = want
    if any(a <= lo and hi <= b for a, b in union):  # one interval holds it: the common case, no arithmetic
        return True
    return not subtract([want], union)


def overlaps(a: Interval, b: Interval) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]
