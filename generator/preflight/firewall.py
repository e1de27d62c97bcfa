"""Egress firewall semantics (facts §4.1 EgressNetworkPolicy, §4.2 EgressFirewall).

Rules are checked in order and the first that matches decides; when none matches the traffic is allowed (the
implicit allow at the end). A rule matches by `cidrSelector` (the destination address is inside), `dnsName`
(the connection's host name: the DVM route hosts or the proxy's name; `*.` stands for one leading label), or
`nodeSelector` (node addresses, unknown here: never matches). EgressFirewall rules may carry `ports`; an
EgressNetworkPolicy has none. Only traffic leaving the cluster meets a firewall (pod-to-pod never does).

A destination network is followed address by address: an Allow rule takes the part it covers out, a Deny rule
that meets any remaining part blocks. An Allow with `ports` counts only when it covers every port of the
connection; a Deny with `ports` blocks when it meets any of them (conservative both ways).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from generator.clusterpair.model import NetworkType
from generator.mtc.firewall import existing_rule_problems
from generator.preflight.netpol import Interval, PolicyError, covers, interval, merge, overlaps, subtract
from generator.records import record

ENP_KIND = "EgressNetworkPolicy"
SDN_CORRECTED_CIDR = ipaddress.ip_network("0.0.0.0/32")
EF_KIND = "EgressFirewall"


@record
class FwRule:
    index: int
    allow: bool
    cidr: tuple[int, Interval] | None  # (IP version, addresses)
    dns_name: str | None
    node_selector: bool
    ports: tuple[tuple[str, int], ...] | None  # None: every port
    text: str  # for people: "Deny to 0.0.0.0/0"

    @property
    def is_deny_all(self) -> bool:
        return not self.allow and self.cidr is not None and self.cidr[1] == (0, 2**32 - 1) and self.ports is None


@record
class Firewall:
    kind: str
    namespace: str
    name: str
    rules: tuple[FwRule, ...]
    where: str
    generated_rules: int = 0  # how many leading rules the generated output put there

    def ref(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


def _rule(data: object, index: int, kind: str) -> FwRule:
    path = f"spec.egress[{index}]"
    # The rule format is the generator's (mtc/firewall.py): a rule it would refuse in a spec is refused here too.
    problems = existing_rule_problems(data, _network_type(kind))
    if problems or not isinstance(data, dict):
        sub, message = problems[0] if problems else ((), "a rule is {type, to}")
        raise PolicyError(path + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in sub), message)
    kind_type = data["type"]
    key, value = next(iter(data["to"].items()))
    cidr = None
    dns_name = None
    if key == "cidrSelector":
        cidr, shown = _cidr_destination(value, path, kind)
    elif key == "dnsName":
        dns_name, shown = _dns_destination(value, path)
    else:
        shown = "nodeSelector"
    ports = _rule_ports(data, path, kind)
    text = f"{kind_type} to {shown}" + (f" on {', '.join(f'{pr} {po}' for pr, po in ports)}" if ports else "")
    return FwRule(index, kind_type == "Allow", cidr, dns_name, key == "nodeSelector", ports, text)


def _network_type(kind: str) -> NetworkType:
    return NetworkType.OPENSHIFT_SDN if kind == ENP_KIND else NetworkType.OVN_KUBERNETES


def _cidr_destination(value: object, path: str, kind: str) -> tuple[tuple[int, Interval], str]:
    """A `cidrSelector`: its (IP version, addresses) and how it is shown to people."""
    try:
        net = ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        raise PolicyError(f"{path}.to.cidrSelector", f"{value!r} is not a CIDR") from None
    shown = str(net)
    if kind == ENP_KIND and net == SDN_CORRECTED_CIDR:
        # facts §11: openshift/sdn installs 0.0.0.0/32 as 0.0.0.0/0 (kept for backward compatibility); OVN's
        # EgressFirewall has no such correction, so only EgressNetworkPolicy reads it this way.
        net = ipaddress.ip_network("0.0.0.0/0")
        shown = f"{SDN_CORRECTED_CIDR} (OpenShift SDN enforces it as 0.0.0.0/0)"
    return (net.version, interval(net)), shown


def _dns_destination(value: object, path: str) -> tuple[str, str]:
    """A `dnsName`: the name matched (lower case, no trailing dot) and the name as written."""
    if not isinstance(value, str) or not value:
        raise PolicyError(f"{path}.to.dnsName", "dnsName is a DNS name")
    return value.rstrip(".").lower(), value


def _rule_ports(data: dict[Any, Any], path: str, kind: str) -> tuple[tuple[str, int], ...] | None:
    """A rule's `ports` as (protocol, port) pairs; None (every port) when absent or empty."""
    if "ports" not in data or data["ports"] is None:
        return None
    if kind == ENP_KIND:
        raise PolicyError(f"{path}.ports", "EgressNetworkPolicy rules have no ports")
    raw = data["ports"]
    if not isinstance(raw, list):
        raise PolicyError(f"{path}.ports", "ports is a list of {protocol, port}")
    return tuple(_port(p, f"{path}.ports[{j}]") for j, p in enumerate(raw)) or None


def _port(p: object, where: str) -> tuple[str, int]:
    if not isinstance(p, dict):
        raise PolicyError(where, "a port is {protocol: TCP|UDP|SCTP, port: 1-65535}")
    protocol = p.get("protocol", "TCP")
    port = p.get("port")
    if (
        protocol not in ("TCP", "UDP", "SCTP")
        or not isinstance(port, int)
        or isinstance(port, bool)
        or not 1 <= port <= 65535
    ):
        raise PolicyError(where, "a port is {protocol: TCP|UDP|SCTP, port: 1-65535}")
    return str(protocol), port


RuleMemo = dict[tuple[str, int, str], FwRule]


def compile_firewall(
    obj: Mapping[str, Any], where: str, *, generated_rules: int = 0, memo: RuleMemo | None = None
) -> Firewall:
    """An EgressNetworkPolicy or EgressFirewall -> `Firewall`. With `memo`, a rule equal to one compiled before
    at the same place (a firewall template stamped into every namespace) is compiled once."""
    meta = obj["metadata"]
    kind = str(obj["kind"])
    spec = obj.get("spec")
    if not isinstance(spec, dict) or not isinstance(spec.get("egress"), list):
        raise PolicyError("spec.egress", f"an {kind} needs spec.egress, a list of rules")
    if memo is None:
        rules = tuple(_rule(r, i, kind) for i, r in enumerate(spec["egress"]))
    else:
        keys = [(kind, i, repr(r)) for i, r in enumerate(spec["egress"])]
        rules = tuple(
            memo.get(k) or memo.setdefault(k, _rule(r, k[1], kind)) for k, r in zip(keys, spec["egress"], strict=True)
        )
    return Firewall(kind, str(meta["namespace"]), str(meta["name"]), rules, where, generated_rules)


def dns_matches(pattern: str, host: str) -> bool:
    host = host.rstrip(".").lower()
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return host == pattern


@record
class FwOutcome:
    allowed: bool
    rule: FwRule | None  # the deciding rule; None: the implicit allow at the end
    firewall: Firewall | None


def evaluate_firewall(
    firewall: Firewall,
    networks: Sequence[tuple[int, Interval]],
    hosts: Sequence[str],
    protocol: str,
    ports: Interval,
) -> FwOutcome:
    """First match wins, per address; `networks` empty with `hosts`: an address only a /0 rule is sure to meet."""
    remaining = {version: merge([span]) for version, span in networks} if networks else {}
    unknown_address = not networks
    for rule in firewall.rules:
        if not _ports_apply(rule, protocol, ports):
            continue
        if rule.dns_name is not None:
            if any(dns_matches(rule.dns_name, h) for h in hosts):
                return FwOutcome(rule.allow, rule, firewall)
            continue
        if rule.cidr is None:  # nodeSelector: node addresses are not known here
            continue
        if unknown_address:
            if _whole_space(rule.cidr):
                return FwOutcome(rule.allow, rule, firewall)
            continue
        met = _take_addresses(rule, rule.cidr, remaining)
        if met is None:
            continue
        if not met:
            return FwOutcome(False, rule, firewall)
        if not any(remaining.values()):
            return FwOutcome(True, rule, firewall)
    return FwOutcome(True, None, firewall)


def _ports_apply(rule: FwRule, protocol: str, ports: Interval) -> bool:
    """Whether a rule counts for the connection's ports: an Allow must cover them all, a Deny meet any."""
    if rule.ports is None:
        return True
    rule_ports = [(p, p) for proto, p in rule.ports if proto == protocol]
    if rule.allow:
        return covers(rule_ports, ports)
    return any(overlaps(iv, ports) for iv in rule_ports)


def _whole_space(cidr: tuple[int, Interval]) -> bool:
    """A /0: the only rule sure to meet an address that is not known."""
    version, span = cidr
    return span == (0, 2**32 - 1 if version == 4 else 2**128 - 1)


def _take_addresses(rule: FwRule, cidr: tuple[int, Interval], remaining: dict[int, list[Interval]]) -> bool | None:
    """None: the rule meets none of the remaining addresses; False: a Deny meets some; True: an Allow takes the
    part it covers out of `remaining`."""
    version, span = cidr
    left = remaining.get(version, [])
    if not any(overlaps(iv, span) for iv in left):
        return None
    if not rule.allow:
        return False
    remaining[version] = subtract(left, [span])
    return True
