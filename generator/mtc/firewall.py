"""Egress firewall rules that let DVM rsync clients out, and the checks on a firewall's existing rules.

facts §4.4: only the source namespace's firewall matters (client pods open every connection); firewalls apply
to the whole namespace, so the Allow rules name destinations, never pods, and must come before any Deny.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from generator.clusterpair.model import EndpointType, NetworkType
from generator.mtc import facts
from generator.mtc.connections import Connection, endpoint_connection
from generator.mtc.resolve import Capabilities, ResolvedPair

Rule = dict[str, Any]
Problem = tuple[tuple[str | int, ...], str]


def allow_rules(resolved: ResolvedPair, target_namespace: str) -> list[Rule]:
    """Allow rules, in order, for what the rsync clients of one source namespace reach (spec §4, §4.1).

    Written from the endpoint connection of the DVM model (`generator.mtc.connections`), which preflight reads
    too: its addresses (the destination `cidrs`, or the stunnel proxy's IP as a /32), then its host names as
    `dnsName` rules where the source's firewall API has them (EgressFirewall from 4.7) — the DVM route hosts
    when `appsDomain` is known, or the proxy's name (without `dnsName` a proxy must be given by IP). OVN rules
    carry the TCP port for a proxy or a Route; EgressNetworkPolicy has no ports. Traffic that stays inside the
    cluster (a same-cluster ClusterIP) never meets a firewall: no rules.
    """
    source = resolved.source
    if source.caps.firewall is None:
        return []
    conn = endpoint_connection(resolved, target_namespace)
    if not conn.leaves_cluster:
        return []
    if resolved.stunnel_proxy is not None and not conn.peer.networks and not source.caps.firewall_dns_name:
        return []  # rule egress-firewall-proxy-host: give the proxy's IP
    ports = _rule_ports(resolved, conn)
    rules: list[Rule] = [{"type": "Allow", "to": {"cidrSelector": str(net)}, **ports} for net in conn.peer.networks]
    if source.caps.firewall_dns_name:
        rules += [{"type": "Allow", "to": {"dnsName": host}, **ports} for host in conn.peer.hosts]
    return rules


def _rule_ports(resolved: ResolvedPair, conn: Connection) -> Rule:
    """The `ports` of our rules: OVN only (EgressNetworkPolicy has none), for a proxy or a Route, when known."""
    ovn = resolved.source.network_type is NetworkType.OVN_KUBERNETES
    proxy = resolved.stunnel_proxy is not None
    if not (ovn and (proxy or resolved.endpoint is EndpointType.ROUTE)):
        return {}
    if not any(p.port for p in conn.ports):
        return {}
    return {"ports": [{"protocol": p.protocol, "port": p.port} for p in conn.ports if p.port]}


def merged_rules(ours: list[Rule], existing: tuple[Rule, ...] | list[Rule]) -> list[Rule]:
    """Our rules first, then the existing ones without copies of ours: applying twice changes nothing."""
    return ours + [rule for rule in existing if rule not in ours]


def rules_to_insert(ours: list[Rule], existing: list[Rule]) -> list[Rule]:
    """Ours without those a firewall already holds where they take effect: before its first Deny rule
    (first match wins, facts §4), so a copy below a Deny is inserted again at the top (spec §4.2)."""
    effective: list[Rule] = []
    for rule in existing:
        if rule.get("type") == "Deny":
            break
        effective.append(rule)
    return [rule for rule in ours if rule not in effective]


def rules_added(ours: list[Rule], held: list[Rule] | None, *, base_patched: bool) -> list[Rule]:
    """What is inserted above a firewall held in a base: ours less those it already holds where they take effect.
    A base that patches its own objects may not show its final rules, so nothing is skipped there (spec §4.2)."""
    return ours if held is None or base_patched else rules_to_insert(ours, held)


def existing_rule_problems(
    rule: object, kind: NetworkType, caps: Capabilities | None = None, version: str = ""
) -> list[tuple[tuple[str | int, ...], str]]:
    """Schema checks of one existing rule, per the API types of facts §4.1 (SDN) and §4.2 (OVN), and, given the
    cluster's capabilities, the fields its version has (facts §9: dnsName from 4.7, nodeSelector from 4.11)."""
    if not isinstance(rule, dict):
        return [((), "a firewall rule is a mapping with `type` and `to`")]
    ovn = kind is NetworkType.OVN_KUBERNETES
    out = _unknown_key_problems(rule, kind) + _type_problems(rule.get("type"))
    out += [(("to", *sub), msg) for sub, msg in _destination_problems(rule.get("to"), kind)]
    to = rule.get("to")
    if ovn and caps is not None and isinstance(to, dict):
        out += _version_problems(to, caps, version)
    if ovn and "ports" in rule:
        out += [(("ports", *sub), msg) for sub, msg in _ports_problems(rule["ports"])]
    return out


def _unknown_key_problems(rule: dict[Any, Any], kind: NetworkType) -> list[Problem]:
    allowed = {"type", "to", "ports"} if kind is NetworkType.OVN_KUBERNETES else {"type", "to"}
    out: list[Problem] = []
    for key in rule:
        if key not in allowed:
            why = " (EgressNetworkPolicy has no ports)" if key == "ports" else ""
            out.append(((key,), f"unknown key {key!r} in a {_kind_name(kind)} rule{why}"))
    return out


def _type_problems(given: object) -> list[Problem]:
    """A rule's `type` is Allow or Deny, case as the API writes it: a near miss is named."""
    if given in ("Allow", "Deny"):
        return []
    near = next((t for t in ("Allow", "Deny") if isinstance(given, str) and given.lower() == t.lower()), None)
    hint = f"; write {near!r} (the API's case)" if near else " (case as written here)"
    return [(("type",), f"type must be Allow or Deny, not {given!r}{hint}")]


def _version_problems(to: dict[Any, Any], caps: Capabilities, version: str) -> list[Problem]:
    """EgressFirewall destinations the cluster's version does not have yet (facts §9)."""
    out: list[Problem] = []
    if "nodeSelector" in to and not caps.firewall_node_selector:
        out.append(
            (
                ("to", "nodeSelector"),
                f"EgressFirewall nodeSelector rules exist from OpenShift 4.11; {version} rejects this rule",
            )
        )
    if "dnsName" in to and not caps.firewall_dns_name:
        out.append(
            (
                ("to", "dnsName"),
                f"EgressFirewall dnsName rules exist from OpenShift 4.7; {version} rejects this rule",
            )
        )
    return out


def _kind_name(kind: NetworkType) -> str:
    return facts.EGRESS_FIREWALL_KIND if kind is NetworkType.OVN_KUBERNETES else facts.EGRESS_NETWORK_POLICY_KIND


def _destination_problems(to: object, kind: NetworkType) -> list[tuple[tuple[str | int, ...], str]]:
    ovn = kind is NetworkType.OVN_KUBERNETES
    keys = ("cidrSelector", "dnsName", "nodeSelector") if ovn else ("cidrSelector", "dnsName")
    if not isinstance(to, dict) or sum(k in to for k in keys) != 1 or any(k not in keys for k in to):
        return [((), f"`to` must hold exactly one of {', '.join(keys)}")]
    if "cidrSelector" in to:
        problem = _cidr_selector_problems(to["cidrSelector"], ovn)
        if problem:
            return problem
    if "dnsName" in to:
        pattern = facts.EF_DNS_NAME_PATTERN if ovn else facts.ENP_DNS_NAME_PATTERN
        if not isinstance(to["dnsName"], str) or not re.match(pattern, to["dnsName"]):
            return [(("dnsName",), f"dnsName must match {pattern}")]
    if "nodeSelector" in to and not isinstance(to["nodeSelector"], dict):
        return [(("nodeSelector",), "nodeSelector must be a label selector mapping")]
    return []


def _cidr_selector_problems(value: object, ovn: bool) -> list[Problem]:
    net = _cidr(value)
    if net is None or "/" not in str(value):
        return [(("cidrSelector",), "cidrSelector must be a CIDR such as 0.0.0.0/0")]
    if net.version == 6 and not ovn:
        return [(("cidrSelector",), "EgressNetworkPolicy takes IPv4 CIDRs only")]
    return []


def _cidr(value: object) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """An existing rule's `cidrSelector`: free-form data (the spec's `rules:` or a base), not a spec value, so it
    is read here where the rule is checked."""
    try:
        return ipaddress.ip_network(value, strict=False) if isinstance(value, str) else None
    except ValueError:
        return None


def _ports_problems(ports: object) -> list[tuple[tuple[str | int, ...], str]]:
    if not isinstance(ports, list):
        return [((), "ports must be a list of {protocol, port}")]
    out: list[tuple[tuple[str | int, ...], str]] = []
    for i, port in enumerate(ports):
        ok = (
            isinstance(port, dict)
            and set(port) == {"protocol", "port"}
            and port["protocol"] in ("TCP", "UDP", "SCTP")
            and isinstance(port["port"], int)
            and not isinstance(port["port"], bool)
            and 1 <= port["port"] <= 65535
        )
        if not ok:
            out.append(((i,), "a port is {protocol: TCP|UDP|SCTP, port: 1-65535}"))
    return out
